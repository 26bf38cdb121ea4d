"""The experiment config (`load_config`): one YAML file, one module per section.

`experiment` holds the whole config and its loading; `data`, `windows`, `gnn`, `feast`,
`rankers` (with `tuning` and `ebr`), `evaluation`, `retrieval`, `nearline`, `targeting` and `serving` one
section each, where its defaults are defined once. Import from `linksage.config`.
"""

from linksage.config.data import DataSection, SyntheticSource
from linksage.config.ebr import EbrNegatives
from linksage.config.evaluation import EvaluationSection
from linksage.config.experiment import ExperimentConfig, load_config, parse_config
from linksage.config.feast import FeastSection
from linksage.config.gnn import GnnParams, GnnSection
from linksage.config.nearline import NearlineSection
from linksage.config.rankers import RankerParams, RankersSection
from linksage.config.retrieval import IndexParams, RetrievalSection
from linksage.config.serving import ServingSection
from linksage.config.targeting import TargetingSection
from linksage.config.tuning import TuningParams
from linksage.config.windows import WindowsSection

__all__ = [
    "DataSection",
    "EbrNegatives",
    "EvaluationSection",
    "ExperimentConfig",
    "FeastSection",
    "GnnParams",
    "GnnSection",
    "IndexParams",
    "NearlineSection",
    "RankerParams",
    "RankersSection",
    "RetrievalSection",
    "ServingSection",
    "SyntheticSource",
    "TargetingSection",
    "TuningParams",
    "WindowsSection",
    "load_config",
    "parse_config",
]

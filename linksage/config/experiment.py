"""The experiment config: one YAML file, validated at load, one section per stage.

Each stage reads only its own section and library code takes plain arguments; the CLI is the
place that unpacks a section into those arguments. `load_config` reads and validates the file;
a config that breaks a rule fails here, naming the option, before any stage runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import yaml
from pydantic import ValidationError, model_validator

from linksage.artifacts import generated_data_dir
from linksage.config.base import Section
from linksage.config.data import DataSection
from linksage.config.evaluation import EvaluationSection
from linksage.config.feast import FeastSection
from linksage.config.gnn import GnnSection
from linksage.config.nearline import NearlineSection
from linksage.config.rankers import RankersSection
from linksage.config.retrieval import RetrievalSection
from linksage.config.serving import ServingSection
from linksage.config.targeting import TargetingSection
from linksage.config.windows import WindowsSection
from linksage.errors import ConfigError


class ExperimentConfig(Section):
    """The whole experiment. Load it with :func:`load_config`."""

    name: str = "experiment"
    output_dir: Path = Path("runs/experiment")
    data: DataSection = DataSection()
    windows: WindowsSection
    gnn: GnnSection = GnnSection()
    feast: FeastSection = FeastSection()
    rankers: RankersSection = RankersSection()
    evaluation: EvaluationSection = EvaluationSection()
    nearline: NearlineSection = NearlineSection()
    retrieval: RetrievalSection = RetrievalSection()
    targeting: TargetingSection = TargetingSection()
    serving: ServingSection = ServingSection()

    @model_validator(mode="after")
    def _arms(self):
        missing = {"control", "gnn"} - set(self.evaluation.arms)
        if missing or ("oracle" in self.evaluation.arms and self.data.source != "synthetic"):
            raise ValueError(
                "evaluation.arms: list control and gnn; oracle reads the generator's hidden "
                "vectors, so it runs on data.source: synthetic only"
            )
        return self

    @property
    def data_dir(self) -> Path:
        """Directory holding the input tables, whichever the source."""
        if self.data.source == "directory":
            assert self.data.directory is not None
            return self.data.directory
        return generated_data_dir(self.output_dir)

    def snapshot_times(self) -> list[datetime]:
        """Daily (by default) snapshot times from t_gnn_end up to and including t_test_end."""
        step = timedelta(days=self.gnn.snapshot_every_days)
        times, t = [], self.windows.t_gnn_end
        while t <= self.windows.t_test_end:
            times.append(t)
            t += step
        return times

    def to_yaml(self) -> str:
        """The config as YAML, to save beside a run's outputs."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    def save(self, path: Path) -> None:
        """Write the config beside a run's outputs (atomically)."""
        from linksage.io import atomic_write_text

        atomic_write_text(path, self.to_yaml())


def _format_validation_error(path: Path | str, err: ValidationError) -> str:
    lines = [f"{path}: invalid config"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"  {loc}: {msg}")
    return "\n".join(lines)


def parse_config(data: dict, source: str = "<dict>") -> ExperimentConfig:
    """Validate a config mapping; raise ConfigError naming the option on failure."""
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation_error(source, err)) from None


def load_config(path: Path | str, overrides: dict | None = None) -> ExperimentConfig:
    """Read and validate a YAML experiment config. `overrides` are dotted keys, e.g.
    {"data.synthetic.members": 1000}."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping at the top level")
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return parse_config(data, str(path))

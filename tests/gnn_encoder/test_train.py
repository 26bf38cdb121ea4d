import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from linksage.cli.gnn import gnn_dir


def test_ddp_two_processes_on_tiny_data(tiny_run, tmp_path):
    path, cfg = tiny_run
    d = yaml.safe_load(path.read_text())
    d["output_dir"] = str(tmp_path / "ddp")
    d["gnn"]["baselines"] = False
    cfg_path = tmp_path / "ddp.yaml"
    cfg_path.write_text(yaml.safe_dump(d))
    torchrun = Path(sys.executable).with_name("torchrun")
    linksage = shutil.which("linksage", path=str(Path(sys.executable).parent))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [
            str(torchrun),
            "--standalone",
            "--nproc_per_node=2",
            linksage,
            "train-gnn",
            "--config",
            str(cfg_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((tmp_path / "ddp" / "gnn" / "metrics.json").read_text())
    assert metrics["world_size"] == 2
    assert pd.Timestamp(metrics["training_data_max_time"]) < pd.Timestamp(cfg.windows.t_gnn_end)
    assert (tmp_path / "ddp" / "gnn" / "checkpoint.pt").exists()
    assert gnn_dir(cfg) != tmp_path / "ddp" / "gnn"

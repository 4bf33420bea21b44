"""The plan benchmark's scaled stack is a valid config with 16x the dev fleet; the README block is refreshed."""

from __future__ import annotations

from pathlib import Path

import pytest

import bench.publish
from bench.plan import SCALE, scaled_dev_config
from components.config.schema import load_stack_config


def test_the_scaled_stack_is_dev_with_16_times_the_replicas_and_modalities() -> None:
    raw = scaled_dev_config(SCALE)["config"]
    values = {key.split(":", 1)[1]: value for key, value in raw.items() if key.startswith("dicomstore:")}
    config = load_stack_config({**values, "region": raw["oci:region"]})
    assert (config.orthanc.replicas, len(config.orthanc.allowed_modalities)) == (16, 16)
    assert len({modality.aet for modality in config.orthanc.allowed_modalities}) == 16


def test_publish_writes_the_file_and_replaces_only_its_readme_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- bench:plan:start -->\nold\n<!-- bench:plan:end -->\noutro\n")
    monkeypatch.setattr(bench.publish, "BENCH_DIR", tmp_path)
    monkeypatch.setattr(bench.publish, "README", readme)
    table = bench.publish.markdown_table(["stack", "median s"], [["`dev`", "1.50"]])
    path = bench.publish.publish("plan", "Plan", table, {"python": "3.11.7"}, command="make bench-plan")
    body = "| stack | median s |\n|---|---|\n| `dev` | 1.50 |\n\n- python: 3.11.7\n"
    assert readme.read_text() == f"intro\n<!-- bench:plan:start -->\n{body}<!-- bench:plan:end -->\noutro\n"
    assert path == tmp_path / "PLAN.md"
    assert path.read_text() == f"# Plan\n\nWritten by `make bench-plan`.\n\n{body}"

"""The README's config reference is the one generated from the models."""

from __future__ import annotations

from components.config.config_reference import END_MARKER, START_MARKER, config_reference, with_reference
from tests.support import PROJECT_DIR


def test_readme_config_reference_is_current() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    assert with_reference(readme) == readme, "run: .venv/bin/python -m components.config.config_reference README.md"


def test_reference_documents_every_key_with_a_meaning() -> None:
    rows = config_reference().splitlines()[2:]
    assert len(rows) > 60
    for row in rows:
        key, default, meaning = (cell.strip() for cell in row.strip("|").split("|"))
        assert meaning, f"{key} has no docstring"
        assert default


def test_markers_wrap_the_table() -> None:
    text = with_reference(f"intro\n{START_MARKER}\nstale\n{END_MARKER}\noutro\n")
    assert "stale" not in text and text.startswith("intro\n") and text.endswith("outro\n")

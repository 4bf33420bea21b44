"""Fixtures shared by the unit tests: the shipped stacks planned once per session."""

from __future__ import annotations

import pytest

from offline.engine import PlanRun, run_program
from tests.support import PROJECT_DIR, Recorded


def _planned(stack: str) -> Recorded:
    run: PlanRun = run_program(PROJECT_DIR, stack)
    return Recorded(run.records, run.outputs)


@pytest.fixture(scope="session")
def dev_plan() -> Recorded:
    """The shipped dev stack, planned offline."""
    return _planned("dev")


@pytest.fixture(scope="session")
def prod_plan() -> Recorded:
    """The shipped prod stack, planned offline."""
    return _planned("prod")

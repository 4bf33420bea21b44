"""The AI block's cross-field config rules, next to the block: a deployed model needs its OCID, training runs on
a GPU shape, and the training image is pinned.

Each problem is a `RuleProblem`; `components/config/schema.py` turns them into the one-line `ConfigProblem`s it
raises before any resource exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.config.config_messages import RuleProblem, gpu_shape_problems

if TYPE_CHECKING:
    from components.config.schema import AiConfig


def ai_problems(ai: AiConfig) -> list[RuleProblem]:
    """AI rules that tie keys together."""
    problems: list[RuleProblem] = []
    if ai.enabled and ai.model_deployment_enabled and ai.model_ocid is None:
        problems.append(
            (
                "ai.modelOcid", None, "is required when ai.modelDeploymentEnabled is true",
                "register the trained model in the Data Science catalog and set its OCID here",
            )
        )  # fmt: skip
    if ai.enabled:
        problems += gpu_shape_problems("ai.trainingShape", ai.training_shape)
    if ai.training_image_tag == "latest":
        problems.append(
            (
                "ai.trainingImageTag", ai.training_image_tag, "is not pinned to a version",
                "push the training image with a release tag, e.g. 1.0.0, and set it here",
            )
        )  # fmt: skip
    return problems

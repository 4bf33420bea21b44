"""The budget's alert rules: forecast and actual spend at 80 % and 100 % of the monthly amount.

Budgets and their rules: docs.oracle.com/iaas/Content/Billing/Concepts/budgetsoverview.htm; rule `type`
ACTUAL or FORECAST and `threshold_type` PERCENTAGE as in terraform-provider-oci
website/docs/r/budget_alert_rule.html.markdown. A forecast rule warns before the money is spent; the actual
rule at 100 % says it has been.
"""

from __future__ import annotations

from dataclasses import dataclass

BUDGET_THRESHOLDS_PERCENT = (80, 100)
BUDGET_RULE_TYPES = ("FORECAST", "ACTUAL")


@dataclass(frozen=True)
class BudgetRule:
    kind: str
    percent: int

    @property
    def name(self) -> str:
        return f"{self.kind.lower()}-{self.percent}"

    def message(self, amount_usd: int) -> str:
        spend = "is forecast to reach" if self.kind == "FORECAST" else "has reached"
        return (
            f"DICOM store spend {spend} {self.percent} % of the {amount_usd} USD monthly budget. Runbook: compare "
            "the cost analysis per compartment with `python -m offline plan`'s estimate; look for an idle GPU pool "
            "or notebook, bucket growth, or a runaway replica count."
        )


def budget_rules() -> list[BudgetRule]:
    """Every (type, threshold) pair: four rules."""
    return [BudgetRule(kind, percent) for kind in BUDGET_RULE_TYPES for percent in BUDGET_THRESHOLDS_PERCENT]

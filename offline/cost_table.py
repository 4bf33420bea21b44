"""The README's cost table, generated from the offline plans of the shipped stacks.

    python -m offline.cost_table README.md   # rewrite the table between the markers
    python -m offline.cost_table             # print it

One row per price-list line (summed over the resources it prices) and per knob, one column per stack, so a
reader sees where each stack's money goes and what a config change would cost. A test keeps it current.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from offline.cost import PRICE_LIST, PRICES_AS_OF, estimate, stack_usage
from offline.engine import run_program

STACKS = ("dev", "prod")
START_MARKER = "<!-- cost-table:start (generated: python -m offline.cost_table README.md) -->"
END_MARKER = "<!-- cost-table:end -->"


def _by_item(cost: Mapping[str, Any]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in cost["lines"]:
        totals[line["item"]] = totals.get(line["item"], 0.0) + line["monthly"]
    return totals


def _usd(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def cost_table(costs: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown: monthly USD per price-list line and per knob, one column per stack in `costs`."""
    stacks: Sequence[str] = list(costs)
    items = {stack: _by_item(costs[stack]) for stack in stacks}
    order = sorted({item for by_item in items.values() for item in by_item},
                   key=lambda item: -max(by_item.get(item, 0.0) for by_item in items.values()))  # fmt: skip
    header = f"| monthly USD (list prices, {PRICES_AS_OF}) | " + " | ".join(stacks) + " |"
    rows = [header, "|---|" + "---:|" * len(stacks)]
    rows += [f"| {item} | " + " | ".join(_usd(items[s].get(item)) for s in stacks) + " |" for item in order]
    rows.append("| **total** | " + " | ".join(f"**{_usd(costs[s]['monthly'])}**" for s in stacks) + " |")
    usage = [costs[s]["assumptions"] for s in stacks]
    rows.append(
        "| *assumed: stored TB / new TB a month / internet egress TB a month* | "
        + " | ".join(
            f"{u['storedTerabytes']:g} / {u['monthlyNewTerabytes']:g} / {u['internetEgressTerabytes']:g}" for u in usage
        )
        + " |"
    )
    knobs = {stack: {(k["key"], k["change"]): k["monthly"] for k in costs[stack]["knobs"]} for stack in stacks}
    keys = list(dict.fromkeys(knob for by_knob in knobs.values() for knob in by_knob))
    rows += ["", "| knob (one step) | " + " | ".join(stacks) + " |", "|---|" + "---:|" * len(stacks)]
    rows += [f"| `{key}`: {change} | " + " | ".join(_usd(knobs[s].get((key, change)), signed=True) for s in stacks)
             + " |" for key, change in keys]  # fmt: skip
    rows += ["", f"Prices: [{PRICE_LIST}]({PRICE_LIST}), table in `offline/cost.py`."]
    return "\n".join(rows)


def shipped_costs(project_dir: Path) -> dict[str, dict[str, Any]]:
    """The cost section of each shipped stack's offline plan."""
    costs = {}
    for stack in STACKS:
        run = run_program(project_dir, stack)
        costs[stack] = estimate(run.records, stack_usage(run.settings.config))
    return costs


def with_cost_table(readme: str, costs: Mapping[str, Mapping[str, Any]]) -> str:
    """The README text with the generated table between the markers."""
    head, _, rest = readme.partition(START_MARKER)
    _, _, tail = rest.partition(END_MARKER)
    return f"{head}{START_MARKER}\n{cost_table(costs)}\n{END_MARKER}{tail}"


if __name__ == "__main__":
    shipped = shipped_costs(Path.cwd())
    if len(sys.argv) > 1:
        readme_path = Path(sys.argv[1])
        readme_path.write_text(with_cost_table(readme_path.read_text(), shipped))
    else:
        print(cost_table(shipped))

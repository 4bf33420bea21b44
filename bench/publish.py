"""Publish a benchmark's results: a committed Markdown file with the machine, the versions and the date, whose
table the README shows between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->` markers."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
README = BENCH_DIR.parent / "README.md"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _commit() -> str:
    result = subprocess.run(
        ["git", "-C", str(BENCH_DIR), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def machine(extra_versions: Mapping[str, str]) -> dict[str, str]:
    """Where and with what the numbers were measured."""
    packages = {name: metadata.version(name) for name in ("pulumi", "pulumi_oci", "pulumi_kubernetes")}
    return {
        "date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": _commit(),
        "machine": f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "load average (1 min)": f"{os.getloadavg()[0]:.2f}",
        "python": platform.python_version(),
        **packages,
        **extra_versions,
    }


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def publish(name: str, title: str, table: str, context: Mapping[str, str], *, command: str, notes: str = "") -> Path:
    """Write bench/<NAME>.md (made by `command`) and refresh the README block of this benchmark; return the file
    written."""
    about = "\n".join(f"- {key}: {value}" for key, value in context.items())
    body = f"{table}\n\n{about}\n" + (f"\n{notes}\n" if notes else "")
    path = BENCH_DIR / f"{name.upper()}.md"
    path.write_text(f"# {title}\n\nWritten by `{command}`.\n\n{body}")
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    readme = README.read_text()
    block = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if block.search(readme):
        README.write_text(block.sub(lambda _: f"{start}\n{body}{end}", readme))
    return path

"""
What the benchmark scripts share: where results go, the commit they were measured at, Markdown tables, step counts
as the tables write them, writing a result file, the ``Monitor`` files of a run and what its training return adds to
the true return.
"""

import csv
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from sb3_gogepo.envs import SURVIVAL_BONUSES

#: The folder of the recorded results (``benchmarks/results``).
RESULTS = Path(__file__).resolve().parent / "results"
#: The repository's root folder.
ROOT = RESULTS.parent.parent


def head() -> str | None:
    """:return: The short hash of the checked-out commit; None outside git, or without git."""
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return None
    return result.stdout.strip() or None


def commit() -> str:
    """
    :return: The short hash of the checked-out commit, with " (with uncommitted changes)" when code differs from it
        (results and documentation written since the commit do not change what is measured); "unknown" outside git.
    """
    code_only = ["--", ".", ":!benchmarks/results", ":!docs", ":!*.md"]
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", *code_only], cwd=ROOT, capture_output=True, text=True
    )
    return (head() or "unknown") + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def table(header: list[str], rows: list[list[str]]) -> str:
    """
    :param header: Column names.
    :param rows: Cells, row by row.
    :return: A Markdown table.
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def write_result(path: str | os.PathLike, text: str) -> None:
    """
    Write a result file atomically (its folder is created if needed), then print its text.

    :param path: The file.
    :param text: Its content.
    """
    from sb3_gogepo.files import atomic_write

    with atomic_write(path) as file:
        file.write(text.encode())
    print(text)


def steps_label(value: int) -> str:
    """:return: A number of environment steps as the tables write it (``300k``, ``3M``)."""
    return f"{value / 1e6:g}M" if value >= 1_000_000 else f"{value / 1e3:g}k"


def monitor_files(run_dir: Path) -> list[Path]:
    """:return: The SB3 ``Monitor`` files of a run folder (``work/**/*.monitor.csv``, one per attempt), by path."""
    return sorted((Path(run_dir) / "work").rglob("*.monitor.csv"))


def read_monitor(path: Path) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """
    :param path: An SB3 ``Monitor`` file.
    :return: Its JSON header (``t_start``, ``env_id``) and its episode rows (``r``, ``l``, ``t``; as text), in order.
    """
    with open(path) as file:
        header = json.loads(file.readline().lstrip("#"))
        return header, list(csv.DictReader(file))


def training_return_offset(meta: dict[str, Any]) -> float:
    """
    :param meta: A run's ``run.json``.
    :return: What the run's training return adds to the true return per step: GoGePo's ``alive_bonus_offset``
        (automatic: minus the task's survival bonus); for the authors' script, minus the same bonus unless its config
        keeps it (their ``survival_bonus``).
    """
    bonus = SURVIVAL_BONUSES.get(str(meta.get("env_id", "")).split("-")[0], 0.0)
    if meta.get("algo") == "authors":
        return 0.0 if meta.get("config", {}).get("survival_bonus") else -bonus
    text = str(meta.get("hyperparams", {}).get("alive_bonus_offset", "None"))
    return -bonus if text == "None" else float(text)


__all__ = [
    "RESULTS",
    "ROOT",
    "commit",
    "head",
    "monitor_files",
    "read_monitor",
    "steps_label",
    "table",
    "training_return_offset",
]

"""What the benchmark scripts share: where results go, the commit they were measured at, and Markdown tables."""

import subprocess
from pathlib import Path

#: The folder of the recorded results (``benchmarks/results``).
RESULTS = Path(__file__).resolve().parent / "results"
#: The repository's root folder.
ROOT = RESULTS.parent.parent


def commit() -> str:
    """
    :return: The short hash of the checked-out commit, with " (with uncommitted changes)" when code differs from it
        (results and documentation written since the commit do not change what is measured); "unknown" outside git.
    """
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    code_only = ["--", ".", ":!benchmarks/results", ":!docs", ":!*.md"]
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", *code_only], cwd=ROOT, capture_output=True, text=True
    )
    return (result.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def table(header: list[str], rows: list[list[str]]) -> str:
    """
    :param header: Column names.
    :param rows: Cells, row by row.
    :return: A Markdown table.
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


__all__ = ["RESULTS", "ROOT", "commit", "table"]

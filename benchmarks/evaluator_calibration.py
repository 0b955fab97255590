"""
Where a final generator's command infidelity comes from: the generator missing the evaluator, or the evaluator
misjudging the policies the generator makes.

    python -m benchmarks.evaluator_calibration RUN_FOLDER... [--authors-code PATH] [--no-compute] [--output FILE]

The generator is trained so that ``V(G(c)) = c``; the command sweep (``command_sweep.csv`` of
``benchmarks.report`` or ``benchmarks.authors_fidelity``) measures the training return ``R(G(c))`` that ``G(c)``
achieves. For each command of the sweep, this script adds the evaluator's prediction ``V(G(c))`` of the run's final
model (the last snapshot: ``model_100.zip`` of ``benchmarks.run``, ``authors_state_100.pt`` of
``benchmarks.authors_script``, which needs ``--authors-code``), so that the command error splits in two:

- generator error ``|V(G(c)) - c|``: how far the generator is from what it is trained for;
- evaluator error ``|R(G(c)) - V(G(c))|``: how far the evaluator is from the return of the policy it judges.

Where the run folder still holds its final policy buffer (``checkpoint/policy_buffer.npz`` of a GoGePo run), it also
gives the evaluator's error on the buffer's own entries, by age (newest first), which is what the evaluator is trained
on (recency-weighted). Errors are divided by the width of the paper's return range, as the command fidelity is.

Per run, caches (committed): ``evaluator_calibration.csv`` (per command) and ``evaluator_buffer_error.csv`` (per age
group); ``--no-compute`` renders the caches only.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch as th

from benchmarks.report import SWEEP_FILE, final_model_path, paper_commands
from benchmarks.run import read_meta, read_rows
from sb3_gogepo import GoGePo
from sb3_gogepo.sweep_records import write_sweep_csv

CALIBRATION_FILE = "evaluator_calibration.csv"
BUFFER_FILE = "evaluator_buffer_error.csv"
#: Age groups of the buffer's entries (newest first: the newest entry has age 1), as ``[first, last]``.
AGE_GROUPS = ((1, 100), (101, 1000), (1001, 10000))
#: Policies per forward pass of the evaluator over the buffer.
CHUNK = 250


@functools.lru_cache(maxsize=1)
def load_model(model_path: Path) -> GoGePo:
    """:return: A saved GoGePo model on the CPU; the last one is kept, so a run's two measurements load it once."""
    return GoGePo.load(model_path, device="cpu")


def predictions_gogepo(model_path: Path, commands: np.ndarray) -> np.ndarray:
    """:return: ``V(G(c))`` of a saved GoGePo model for each command."""
    policy = load_model(model_path).policy
    with th.no_grad():
        return policy.evaluator(policy.generate(th.as_tensor(commands, dtype=th.float32))).double().numpy()


def predictions_authors(snapshot: Path, authors_code: Path, meta: dict, commands: np.ndarray) -> np.ndarray:
    """:return: ``V(G(c))`` of an authors' snapshot for each command (their evaluator on their generator's output)."""
    from benchmarks.authors_generator import AuthorsGenerator

    generator = AuthorsGenerator.load(snapshot, authors_code, meta)
    return np.array([generator.predicted_return(generator.params_for(float(command))) for command in commands])


def buffer_errors(model_path: Path, buffer_path: Path) -> list[dict[str, float]]:
    """:return: Per age group of the buffer's entries: count, mean return, mean error and mean absolute error of V."""
    model = load_model(model_path)
    model.load_policy_buffer(buffer_path)
    assert model.replay_buffer is not None
    params, returns = model.replay_buffer.ordered()
    params, returns = params.flip(0), returns.flip(0).double()  # newest first
    predicted = th.empty(len(returns), dtype=th.float64)
    with th.no_grad():
        for start in range(0, len(returns), CHUNK):
            predicted[start : start + CHUNK] = model.policy.evaluator(params[start : start + CHUNK].float()).double()
    rows = []
    for first, last in AGE_GROUPS:
        part = slice(first - 1, min(last, len(returns)))
        if part.start >= part.stop:
            continue
        error = predicted[part] - returns[part]
        rows.append(
            {
                "first_age": float(first),
                "last_age": float(part.stop),
                "mean_return": float(returns[part].mean()),
                "mean_error": float(error.mean()),
                "mean_abs_error": float(error.abs().mean()),
            }
        )
    return rows


def calibration(run_dir: Path, authors_code: Path | None, compute: bool = True) -> list[dict[str, float]]:
    """:return: Per command of the run's sweep: command, ``V(G(c))`` and the achieved training return (cached)."""
    cache = run_dir / CALIBRATION_FILE
    if cache.is_file() or not compute:
        return read_rows(cache) if cache.is_file() else []
    sweep_file = run_dir / SWEEP_FILE
    if not sweep_file.is_file():
        return []
    sweep = read_rows(sweep_file)
    commands = np.array([row["command"] for row in sweep])
    meta = read_meta(run_dir)
    if meta.get("algo") == "authors":
        snapshot = run_dir / "snapshots" / "authors_state_100.pt"
        if not snapshot.is_file():
            return []
        if authors_code is None:
            raise ValueError(f"{run_dir} is a run of the authors' script: pass --authors-code")
        predicted = predictions_authors(snapshot, authors_code, meta, commands)
    else:
        model_path = final_model_path(run_dir)
        if model_path is None:
            return []
        predicted = predictions_gogepo(model_path, commands)
    rows = [
        {"command": float(row["command"]), "predicted": float(value), "achieved": float(row["mean_training_return"])}
        for row, value in zip(sweep, predicted, strict=True)
    ]
    write_sweep_csv(str(cache), list(rows[0]), rows)
    return rows


def buffer_calibration(run_dir: Path, compute: bool = True) -> list[dict[str, float]]:
    """:return: The evaluator's errors on the run's final buffer by age group (cached; [] without a buffer)."""
    cache = run_dir / BUFFER_FILE
    if cache.is_file() or not compute:
        return read_rows(cache) if cache.is_file() else []
    model_path, buffer_path = final_model_path(run_dir), run_dir / "checkpoint" / "policy_buffer.npz"
    if model_path is None or not buffer_path.is_file() or read_meta(run_dir).get("algo") == "authors":
        return []
    rows = buffer_errors(model_path, buffer_path)
    write_sweep_csv(str(cache), list(rows[0]), rows)
    return rows


def split_errors(rows: Sequence[dict[str, float]], width: float) -> dict[str, float]:
    """:return: Mean command, generator and evaluator errors over the sweep, divided by ``width``."""
    command = np.array([row["command"] for row in rows])
    predicted = np.array([row["predicted"] for row in rows])
    achieved = np.array([row["achieved"] for row in rows])
    return {
        "command": float(np.abs(achieved - command).mean() / width),
        "generator": float(np.abs(predicted - command).mean() / width),
        "evaluator": float(np.abs(achieved - predicted).mean() / width),
    }


def label(run_dir: Path) -> str:
    """:return: A short name of a run: its folder below ``results``/``runs`` (variant, env, algorithm, seed)."""
    parts = run_dir.resolve().parts
    start = max((index + 1 for index, part in enumerate(parts) if part in ("results", "runs", "table1")), default=0)
    return "/".join(part for part in parts[start:] if not part.startswith("budget_"))


def render(
    run_dirs: Sequence[Path], tables: Sequence[Sequence[dict[str, float]]], buffers: Sequence[Sequence[dict[str, float]]]
) -> str:
    """:return: The Markdown report."""
    lines = [
        "# Evaluator calibration of final generators",
        "",
        "Written by `python -m benchmarks.evaluator_calibration` (module docstring: what is measured). Errors are mean "
        "absolute differences over the 20 commands of the command sweep, divided by the width of the paper's return "
        "range: command error = |R(G(c)) - c| (the command fidelity), generator error = |V(G(c)) - c|, evaluator "
        "error = |R(G(c)) - V(G(c))|, with R the achieved training return (10 episodes) and V the final evaluator.",
        "",
        "| run | command error | generator error | evaluator error | V on the newest 100 buffer entries: mean error / "
        "mean absolute error | entries 101-1000 | entries 1001-10000 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run_dir, rows, buffer in zip(run_dirs, tables, buffers, strict=True):
        if not rows:
            continue
        env_id = str(read_meta(run_dir)["env_id"])
        low, high = paper_commands(env_id)[[0, -1]]
        width = float(high - low)
        errors = split_errors(rows, width)
        cells = [f"{errors[name]:.3f}" for name in ("command", "generator", "evaluator")]
        by_group = {int(row["first_age"]): row for row in buffer}
        for first, _ in AGE_GROUPS:
            row = by_group.get(first)
            cells.append("-" if row is None else f"{row['mean_error'] / width:+.3f} / {row['mean_abs_error'] / width:.3f}")
        lines.append(f"| {label(run_dir)} | " + " | ".join(cells) + " |")
    lines += ["", "Per command: V(G(c)) / R(G(c)).", ""]
    for run_dir, rows in zip(run_dirs, tables, strict=True):
        if not rows:
            continue
        lines += [
            f"- {label(run_dir)}: "
            + ", ".join(f"{row['command']:.0f}: {row['predicted']:.0f} / {row['achieved']:.0f}" for row in rows)
        ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", type=Path, help="run folders with a command sweep and a final model")
    parser.add_argument("--authors-code", type=Path, default=None, help="checkout of IDSIA/GoGePo, for the authors' runs")
    parser.add_argument("--no-compute", action="store_true", help="render the cached rows only")
    parser.add_argument("--output", type=Path, default=None, help="Markdown file (default: print)")
    args = parser.parse_args(argv)
    th.set_num_threads(1)
    compute = not args.no_compute
    tables, buffers = [], []
    for run_dir in args.run_dirs:  # one run at a time, so that its model is loaded once for both measurements
        tables.append(calibration(run_dir, args.authors_code, compute))
        buffers.append(buffer_calibration(run_dir, compute))
    text = render(args.run_dirs, tables, buffers)
    if args.output is None:
        print(text, end="")
    else:
        args.output.write_text(text)


if __name__ == "__main__":
    main()

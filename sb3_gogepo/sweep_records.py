"""
What a command sweep records: its CSV rows, the logger's scalars and the figure of achieved vs commanded return
(written by :class:`~sb3_gogepo.callbacks.CommandSweepCallback`).
"""

import csv
import io
from typing import Any

import numpy as np
from stable_baselines3.common.logger import Figure, Logger

from sb3_gogepo.files import atomic_write

#: Name of the CSV file a :class:`~sb3_gogepo.callbacks.CommandSweepCallback` writes into its ``log_path``.
SWEEP_CSV = "command_sweep.csv"
#: Name of the figure of the latest sweep, written next to the CSV.
SWEEP_FIGURE = "command_sweep.png"


def sweep_columns(n_eval_episodes: int) -> list[str]:
    """
    :param n_eval_episodes: Episodes run for each command.
    :return: The columns of the CSV (described at :attr:`~sb3_gogepo.callbacks.CommandSweepCallback.csv_columns`).
    """
    return [
        "timesteps",
        "episodes",
        "command",
        "mean_return",
        "std_return",
        "mean_training_return",
        "std_training_return",
        "mean_length",
        *[f"return_{index}" for index in range(n_eval_episodes)],
    ]


def sweep_rows(
    timesteps: int,
    episodes: int,
    commands: np.ndarray,
    returns: np.ndarray,
    lengths: np.ndarray,
    training_returns: np.ndarray,
) -> list[dict[str, float]]:
    """
    :param timesteps: Environment steps of training so far.
    :param episodes: Training episodes finished so far.
    :param commands: The commands swept.
    :param returns: True returns of every episode, ``(len(commands), n_eval_episodes)``.
    :param lengths: Lengths of those episodes.
    :param training_returns: Their returns in the units of the commands.
    :return: One row of the CSV per command.
    """
    achieved = training_returns.mean(axis=1)
    return [
        {
            "timesteps": timesteps,
            "episodes": episodes,
            "command": float(command),
            "mean_return": float(returns[index].mean()),
            "std_return": float(returns[index].std()),
            "mean_training_return": float(achieved[index]),
            "std_training_return": float(training_returns[index].std()),
            "mean_length": float(lengths[index].mean()),
            **{f"return_{episode}": float(value) for episode, value in enumerate(returns[index])},
        }
        for index, command in enumerate(commands)
    ]


def write_sweep_csv(path: str, columns: list[str], rows: list[dict[str, float]]) -> None:
    """
    Write the CSV whole, atomically: a sweep killed while writing it leaves the previous sweeps' file.

    :param path: The CSV file.
    :param columns: Its columns.
    :param rows: All its rows.
    """
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    with atomic_write(path) as file:
        file.write(text.getvalue().encode())


def read_sweep_csv(path: str, columns: list[str]) -> list[dict[str, float]]:
    """
    :param path: A CSV written by :func:`write_sweep_csv`.
    :param columns: The columns it must have.
    :return: Its rows.
    :raises ValueError: If its columns are others (another ``n_eval_episodes``) or a value is not a number.
    """
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        if reader.fieldnames != columns:
            raise ValueError(
                f"{path} has the columns {reader.fieldnames}, not those of this sweep ({columns}): a sweep with another "
                "n_eval_episodes cannot continue it; give the callback another log_path"
            )
        counts = ("timesteps", "episodes")
        try:
            return [{key: int(value) if key in counts else float(value) for key, value in row.items()} for row in reader]
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}, line {reader.line_num}: not a row of numbers ({error})") from error


def record_sweep(
    logger: Logger,
    commands: np.ndarray,
    returns: np.ndarray,
    training_returns: np.ndarray,
    figure: Any = None,
    figure_path: str | None = None,
) -> float:
    """
    Record a sweep's scalars under ``command_sweep/`` and its figure (TensorBoard only), without dumping them.

    :param logger: The logger.
    :param commands: The commands swept.
    :param returns: True returns of every episode, ``(len(commands), n_eval_episodes)``.
    :param training_returns: Their returns in the units of the commands.
    :param figure: The figure of the sweep (:func:`sweep_figure`), None for none.
    :param figure_path: File the figure is also saved to (PNG, atomically), None for none.
    :return: The mean absolute error between achieved and commanded return.
    """
    achieved = training_returns.mean(axis=1)
    error = float(np.mean(np.abs(achieved - commands)))
    logger.record("command_sweep/mean_abs_error", error)
    if len(commands) > 1 and np.std(achieved) > 0 and np.std(commands) > 0:
        logger.record("command_sweep/correlation", float(np.corrcoef(commands, achieved)[0, 1]))
    logger.record("command_sweep/lowest_command", float(commands.min()))
    logger.record("command_sweep/highest_command", float(commands.max()))
    logger.record("command_sweep/return_at_highest_command", float(returns[int(np.argmax(commands))].mean()))
    logger.record("command_sweep/best_mean_return", float(returns.mean(axis=1).max()))
    if figure is not None:
        if figure_path is not None:
            with atomic_write(figure_path) as file:
                figure.savefig(file, format="png", dpi=80)
        logger.record("command_sweep/figure", Figure(figure, close=True), exclude=("stdout", "log", "json", "csv"))
    return error


def sweep_figure(commands: np.ndarray, training_returns: np.ndarray, offset: float, timesteps: int) -> Any:
    """
    :param commands: The commands swept.
    :param training_returns: Achieved returns in the units of the commands, ``(len(commands), n_eval_episodes)``.
    :param offset: What was added to every reward of those returns (named on the axis if not 0).
    :param timesteps: Environment steps of training so far (the title).
    :return: A matplotlib figure of achieved vs commanded return, with the line achieved = command.
    """
    from matplotlib.figure import Figure as MatplotlibFigure

    figure = MatplotlibFigure(figsize=(5, 4))
    axes = figure.add_subplot()
    means, stds = training_returns.mean(axis=1), training_returns.std(axis=1)
    axes.errorbar(commands, means, yerr=stds, fmt="o-", capsize=3, label="achieved")
    low, high = min(commands.min(), means.min()), max(commands.max(), means.max())
    axes.plot([low, high], [low, high], "k--", linewidth=1, label="achieved = command")
    axes.set_xlabel("commanded return")
    axes.set_ylabel("achieved return" + (f" (reward {offset:+g} per step)" if offset else ""))
    axes.set_title(f"{timesteps} steps")
    axes.legend(loc="best")
    figure.tight_layout()
    return figure

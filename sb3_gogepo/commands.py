"""Return commands: which return to ask the generator for, and how a command enters the generator."""

import math

import torch as th


def symlog(values: th.Tensor) -> th.Tensor:
    """
    ``sign(x) * log(1 + |x|)``: monotone, odd, about linear near 0 and logarithmic for large returns.

    :param values: Commands (returns).
    :return: Their symlog, element-wise.
    """
    return th.sign(values) * th.log1p(values.abs())


def normalize_commands(commands: th.Tensor, command_scale: float | th.Tensor | None = None) -> th.Tensor:
    """
    Map raw return commands to the generator's input.

    The authors divide commands by a hand-set per-environment return range (Swimmer 465, Hopper 3100, ...).
    A library cannot ask for that constant, so by default (``command_scale=None``) commands go through
    :func:`symlog`. It needs no statistics of the run, so a command means the same thing to the generator
    at every point of training (a running-statistics scale would shift what every stored command means
    whenever it changes), it keeps commands in a small range for returns from 1 to 1e4 (``symlog(3000) = 8``),
    and it resolves relative differences evenly across scales: ``d symlog = dc / (1 + |c|)``, so 2000 vs 2500
    on Hopper is 0.22 apart and 300 vs 340 on Swimmer 0.13, comparable to the authors' 0.16 and 0.09.

    :param commands: Raw return commands.
    :param command_scale: If given, divide by it instead: the authors' constant, or the running scale of
        ``command_scale="auto"`` (see :meth:`~sb3_gogepo.policies.GoGePoPolicy.observe_return`).
    :return: Normalised commands, same shape.
    """
    if command_scale is None:
        return symlog(commands)
    return commands / command_scale


def next_command(best_return: float, drive: float, initial_command: float = 0.0) -> float:
    """
    The paper's command strategy: ask for ``drive`` more than the best return seen so far.

    :param best_return: Best training return so far (``-inf`` before the first finished episode).
    :param drive: How much more to ask for (20 in the paper; 0 is also competitive).
    :param initial_command: The command before any episode has finished (0 in the paper).
    :return: The next command.
    """
    if not math.isfinite(best_return):
        return initial_command
    return best_return + drive


def running_command_scale(scale: float, training_return: float) -> float:
    """
    The scale of ``command_scale="auto"``: the largest magnitude of the training returns seen, at least 1.

    It keeps normalised commands of the order of 1 (about ``1 + drive / scale`` for the next command) without a
    per-environment constant, like the authors' division by a return range, and it only grows.

    :param scale: The scale so far (1 before any return).
    :param training_return: A newly stored training return.
    :return: The new scale.
    """
    return max(scale, abs(training_return), 1.0)

"""
Replay an agent trained with :mod:`sb3_gogepo.train`, like ``rl_zoo3 enjoy``.

``python -m sb3_gogepo.enjoy`` is ``rl_zoo3 enjoy`` with ``gogepo`` added to its algorithms, so it takes the
same flags (``--algo``, ``--env``, ``-f``, ``--exp-id``, ``-n``, ``--no-render``, ``--load-best``, ...)::

    python -m sb3_gogepo.enjoy --algo gogepo --env Hopper-v3 -f logs/ --no-render -n 5000

For GoGePo, ``--command R`` replays the policy the generator produces for the desired return ``R`` instead of
the one for the best training return seen.

Downloading agents from the Hugging Face hub (the zoo's ``rl-trained-agents`` default folder) needs the
``requests`` package, which rl-zoo3 imports but does not declare; without it, only local agents can be replayed.
"""

import argparse
import importlib.util
import sys
import types
from collections.abc import Sequence
from typing import Any

from sb3_gogepo.commands import as_command
from sb3_gogepo.gogepo import GoGePo
from sb3_gogepo.zoo import register


def _without_hub_download() -> None:
    """Let ``rl_zoo3.enjoy`` import when ``requests`` (needed only by its hub download) is missing."""
    if importlib.util.find_spec("requests") is not None or "rl_zoo3.load_from_hub" in sys.modules:
        return

    def download_from_hub(*args: Any, **kwargs: Any) -> None:
        raise ImportError(
            "Downloading agents from the Hugging Face hub needs the `requests` package (pip install requests); "
            "pass -f <log folder> to replay a local agent"
        )

    stub = types.ModuleType("rl_zoo3.load_from_hub")
    stub.download_from_hub = download_from_hub  # type: ignore[attr-defined]
    sys.modules["rl_zoo3.load_from_hub"] = stub


def commanded_gogepo(command: float) -> type[GoGePo]:
    """
    A GoGePo class whose ``predict`` acts with the policy generated for a fixed desired return.

    :param command: The desired return.
    :return: A subclass of :class:`~sb3_gogepo.GoGePo` to load the model with.
    """

    class CommandedGoGePo(GoGePo):
        def predict(  # type: ignore[override]
            self,
            observation: Any,
            state: Any = None,
            episode_start: Any = None,
            deterministic: bool = False,
            command: float | None = None,
        ) -> Any:
            chosen = replay_command if command is None else command
            return super().predict(observation, state, episode_start, deterministic, command=chosen)

    replay_command = as_command(command, "--command")
    return CommandedGoGePo


#: What ``--help`` says of ``--command``.
COMMAND_HELP = "replay the policy generated for the desired return R (--algo gogepo; default: the best training return)"


def main(argv: Sequence[str] | None = None) -> None:
    """
    Run ``rl_zoo3 enjoy`` with GoGePo registered.

    :param argv: Command-line arguments without the program name (default: ``sys.argv[1:]``).
    """
    _without_hub_download()
    import rl_zoo3
    import rl_zoo3.enjoy

    register()
    parser = argparse.ArgumentParser(
        prog="python -m sb3_gogepo.enjoy", usage="%(prog)s [options] (--help lists them)", add_help=False
    )
    parser.add_argument("--command", type=_command_argument, default=None, help=COMMAND_HELP)
    parser.add_argument("--algo", default="ppo")
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    arguments = [arg for arg in (sys.argv[1:] if argv is None else argv)]
    if known.command is not None:
        if known.algo != "gogepo":
            raise SystemExit("--command is only meaningful for --algo gogepo")
        given = len(arguments)
        while (index := _option_index(arguments, "--command")) is not None:  # each one: the last counts, as in argparse
            del arguments[index : index + (1 if "=" in arguments[index] else 2)]
        if len(arguments) == given:
            raise SystemExit("--command must be given in full (not abbreviated)")
        print(f"Acting with the policy generated for a return of {known.command}")

    saved_argv, saved_gogepo = sys.argv, rl_zoo3.ALGOS["gogepo"]
    sys.argv = ["python -m sb3_gogepo.enjoy", *arguments]  # the program name in --help
    if known.command is not None:
        rl_zoo3.ALGOS["gogepo"] = commanded_gogepo(known.command)
    try:
        rl_zoo3.enjoy.enjoy()
    except SystemExit:
        if {"-h", "--help"} & set(arguments):  # after the zoo's own options
            print(f"\nGoGePo's option:\n  --command R           {COMMAND_HELP}")
        raise
    finally:
        sys.argv = saved_argv
        rl_zoo3.ALGOS["gogepo"] = saved_gogepo


def _command_argument(text: str) -> float:
    try:
        return as_command(float(text), "--command")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _option_index(arguments: list[str], option: str) -> int | None:
    """:return: Where ``option`` is first given in full, or None."""
    for index, argument in enumerate(arguments):
        if argument == option or argument.startswith(option + "="):
            return index
    return None


if __name__ == "__main__":
    main()

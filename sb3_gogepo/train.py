"""
Train GoGePo, or the paper's baselines ARS and DDPG, with rl-zoo3.

``python -m sb3_gogepo.train`` is ``rl_zoo3 train`` with ``gogepo`` added to its algorithms (see
:mod:`sb3_gogepo.zoo`), so it accepts every flag of ``rl_zoo3 train`` (``-n``, ``--seed``, ``--eval-freq``,
``--eval-episodes``, ``--save-freq``, ``-tb``, ``--vec-env subproc``, ``--device``, ``-optimize``,
``--progress``, ``--hyperparams``, ...; ``--help`` lists them)::

    python -m sb3_gogepo.train --algo gogepo --env Hopper-v3 -conf hyperparams/gogepo.yml
    python -m sb3_gogepo.train --algo ars --env Hopper-v3 -conf hyperparams/ars.yml
    python -m sb3_gogepo.train --algo ddpg --env Hopper-v3 -conf hyperparams/ddpg.yml
    python -m sb3_gogepo.train --algo gogepo --env Swimmer-v3 -optimize --n-trials 20 -n 200000

Without ``-conf``/``--conf-file``, ``--algo gogepo``, ``ars`` and ``ddpg`` read this project's
``hyperparams/<algo>.yml`` (in a source checkout); other algorithms read the zoo's own files. Runs are saved as
``rl_zoo3 train`` saves them (``logs/<algo>/<env>_<id>/``) and are replayed with :mod:`sb3_gogepo.enjoy`.
The paper's ids ``Hopper-v3``, ``Swimmer-v3`` and ``InvertedPendulum-v2`` work for all algorithms.
"""

import argparse
import sys
from collections.abc import Sequence

from sb3_gogepo.zoo import default_config, register

#: Algorithms whose default configuration is this project's ``hyperparams/<algo>.yml``.
PROJECT_ALGOS = ("gogepo", "ars", "ddpg")


def with_default_config(argv: Sequence[str]) -> list[str]:
    """
    Add ``--conf-file hyperparams/<algo>.yml`` (this project's file) to a command line that names no
    configuration, for the algorithms of :data:`PROJECT_ALGOS`.

    :param argv: Command-line arguments, without the program name.
    :return: The arguments, possibly with ``--conf-file`` appended.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--algo", default="ppo")
    parser.add_argument("-conf", "--conf-file", default=None)
    known, _ = parser.parse_known_args(list(argv))
    argv = list(argv)
    if known.conf_file is None and known.algo in PROJECT_ALGOS:
        config = default_config(known.algo)
        if config is not None:
            print(f"Using this project's hyperparameters for {known.algo}: {config}")
            argv += ["--conf-file", config]
    return argv


def check_counts(argv: Sequence[str]) -> None:
    """
    Refuse the counts that ``rl_zoo3 train`` takes without a word and then ignores or fails on later: ``-n 0`` (or
    below -1) trains for the YAML's ``n_timesteps``; where the zoo evaluates (``--eval-freq`` above 0, or a search),
    ``--eval-episodes 0`` logs NaN evaluations and ``--n-eval-envs 0`` fails inside the evaluation env.

    :param argv: Command-line arguments, without the program name.
    :raises SystemExit: With a usage error naming the option.
    """
    parser = argparse.ArgumentParser(
        prog="python -m sb3_gogepo.train", usage="%(prog)s [options] (--help lists them)", add_help=False
    )
    parser.add_argument("-n", "--n-timesteps", type=int, default=-1)
    parser.add_argument("--eval-freq", type=int, default=25000)
    parser.add_argument("-optimize", "--optimize-hyperparameters", action="store_true")
    parser.add_argument("--eval-episodes", type=int, default=5)
    parser.add_argument("--n-eval-envs", type=int, default=1)
    known, _ = parser.parse_known_args(list(argv))
    if known.n_timesteps == 0 or known.n_timesteps < -1:
        parser.error(
            f"-n/--n-timesteps: a positive number of steps, or -1 for the YAML's n_timesteps, got {known.n_timesteps}"
        )
    if known.eval_freq > 0 or known.optimize_hyperparameters:
        for option, value in (("--eval-episodes", known.eval_episodes), ("--n-eval-envs", known.n_eval_envs)):
            if value < 1:
                parser.error(f"{option}: must be a positive integer, got {value}")


def main(argv: Sequence[str] | None = None) -> None:
    """
    Run ``rl_zoo3 train`` with GoGePo registered.

    :param argv: Command-line arguments without the program name (default: ``sys.argv[1:]``).
    """
    import rl_zoo3.train

    register()
    arguments = with_default_config(sys.argv[1:] if argv is None else argv)
    check_counts(arguments)
    saved_argv = sys.argv
    sys.argv = ["python -m sb3_gogepo.train", *arguments]  # the program name in --help
    try:
        rl_zoo3.train.train()
    finally:
        sys.argv = saved_argv


if __name__ == "__main__":
    main()

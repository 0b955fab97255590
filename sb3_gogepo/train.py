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


def main(argv: Sequence[str] | None = None) -> None:
    """
    Run ``rl_zoo3 train`` with GoGePo registered.

    :param argv: Command-line arguments without the program name (default: ``sys.argv[1:]``).
    """
    import rl_zoo3.train

    register()
    arguments = with_default_config(sys.argv[1:] if argv is None else argv)
    saved_argv = sys.argv
    sys.argv = ["python -m sb3_gogepo.train", *arguments]  # the program name in --help
    try:
        rl_zoo3.train.train()
    finally:
        sys.argv = saved_argv


if __name__ == "__main__":
    main()

"""End-to-end training throughput: GoGePo (exact and fast mode) beside ARS and DDPG, same machine, same script.

    python -m benchmarks.end_to_end                                    # Swimmer-v3, 3M steps for GoGePo
    python -m benchmarks.end_to_end --timesteps 300000 --baseline-timesteps 100000

Every model is built from this project's YAML files (``hyperparams/<algo>.yml``, the paper's settings) by the same
rl-zoo3 experiment manager as ``benchmarks/run.py`` and trained with ``learn`` (no evaluation), with ``--threads``
torch threads. GoGePo runs ``--timesteps`` steps (the paper's 3M for Swimmer); the baselines run
``--baseline-timesteps`` steps (their environment steps per second are what is compared). The table is appended to
``benchmarks/results/end_to_end.md`` so runs made in different sessions accumulate.
"""

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import torch as th

from benchmarks.run import RESULTS_DIR, RunSpec, canonical_env, make_manager

FAST = {"update_precision": "bfloat16", "policy_kwargs": "dict(separate_bias_networks=False)"}
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "gogepo": ("gogepo", {}),
    "gogepo-fast": ("gogepo", FAST),
    "ars": ("ars", {}),
    "ddpg": ("ddpg", {}),
}


def train(variant: str, env_id: str, timesteps: int, seed: int) -> tuple[float, int]:
    """:return: Wall-clock seconds of ``learn`` and the steps it took."""
    algo, overrides = VARIANTS[variant]
    with tempfile.TemporaryDirectory() as folder:
        spec = RunSpec(
            algo=algo,
            env_id=env_id,
            seed=seed,
            budget=timesteps,
            budget_name=str(timesteps),
            eval_freq=-1,
            results_dir=Path(folder),
            hyperparams=dict(overrides),
        )
        manager = make_manager(spec, seed)
        model, _ = manager.setup_experiment()
        start = time.perf_counter()
        model.learn(timesteps)
        return time.perf_counter() - start, int(model.num_timesteps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="Swimmer-v3")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--timesteps", type=int, default=3_000_000, help="GoGePo's steps (the paper's budget)")
    parser.add_argument("--baseline-timesteps", type=int, default=200_000, help="steps of ARS and DDPG")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    env_id = canonical_env(args.env)
    rows = []
    for variant in args.variants:
        steps = args.timesteps if variant.startswith("gogepo") else args.baseline_timesteps
        seconds, done = train(variant, env_id, steps, args.seed)
        rows.append(f"| {variant} | {env_id} | {done} | {seconds / 60:.1f} | {done / seconds:.0f} |")
        print(rows[-1], flush=True)
    header = (
        f"\n`python -m benchmarks.end_to_end --env {args.env} --timesteps {args.timesteps} --baseline-timesteps "
        f"{args.baseline_timesteps} --threads {args.threads}` on {platform.machine()}, torch {th.__version__}:\n\n"
        "| algorithm | env | steps | wall-clock (min) | env steps / s |\n|---|---|---|---|---|\n"
    )
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(RESULTS_DIR / "end_to_end.md", "a") as file:
        file.write(header + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

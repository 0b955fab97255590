"""End-to-end training throughput: GoGePo (exact and fast mode) beside ARS and DDPG, same machine, same script.

    python -m benchmarks.performance.end_to_end                        # Swimmer-v3, the paper's 3M steps for GoGePo
    python -m benchmarks.performance.end_to_end --timesteps 300000 --baseline-timesteps 20000

Every model is built from this project's YAML files (``hyperparams/<algo>.yml``, the paper's settings) by the same
rl-zoo3 experiment manager as ``benchmarks/run.py``, with ``--threads`` torch threads.

GoGePo's runs are the paper's whole protocol: ``--timesteps`` steps through :func:`benchmarks.run.run_one`, with an
evaluation (10 episodes) every 10k steps (the runner leaves out the YAML's command sweeps; the report sweeps the
final generator), so they are also benchmark runs: exact mode
writes into ``benchmarks/results/`` (a seed of the Table 1 analog), fast mode into ``benchmarks/results/fast_mode/``.
A finished run is not repeated: its recorded wall-clock is reported again. The table gives the total wall-clock and
the training wall-clock (without the evaluations and checkpoints, which the runner times separately).

ARS and DDPG run ``learn`` for ``--baseline-timesteps`` steps without evaluation: their environment steps per second
are what is compared. The table is appended to ``benchmarks/results/end_to_end.md`` so runs accumulate.
"""

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import torch as th

from benchmarks.common import RESULTS
from benchmarks.run import RunSpec, canonical_env, default_eval_freq, make_manager, read_meta, run_one

FAST = {"update_precision": "bfloat16", "policy_kwargs": "dict(separate_bias_networks=False)"}
COMPILED = {"compile_updates": True}
#: variant -> (algorithm, YAML overrides, results folder of its benchmark run). Compiling changes no mathematics:
#: compiled runs are seeds of the same mode.
VARIANTS: dict[str, tuple[str, dict[str, Any], Path]] = {
    "gogepo": ("gogepo", {}, RESULTS),
    "gogepo-fast": ("gogepo", FAST, RESULTS / "fast_mode"),
    "gogepo-compiled": ("gogepo", COMPILED, RESULTS),
    "gogepo-fast-compiled": ("gogepo", {**FAST, **COMPILED}, RESULTS / "fast_mode"),
    "ars": ("ars", {}, RESULTS),
    "ddpg": ("ddpg", {}, RESULTS),
}
HEADER = (
    "| algorithm | env | steps | training wall-clock (min) | total wall-clock (min) | training env steps / s "
    "| final return |\n|---|---|---|---|---|---|---|"
)


def variant_spec(
    variant: str, env_id: str, timesteps: int, seed: int, eval_freq: int, results_dir: Path | None = None, threads: int = 1
) -> RunSpec:
    """:return: The run of a variant (in its own results folder unless ``results_dir`` is given)."""
    algo, overrides, default_dir = VARIANTS[variant]
    return RunSpec(
        algo=algo,
        env_id=env_id,
        seed=seed,
        budget=timesteps,
        budget_name=str(timesteps),
        eval_freq=eval_freq,
        results_dir=results_dir or default_dir,
        hyperparams=dict(overrides),
        threads=threads,
    )


def benchmark_run(variant: str, env_id: str, timesteps: int, seed: int, threads: int) -> str:
    """Run (or reuse) GoGePo's benchmark run; :return: its table row."""
    spec = variant_spec(variant, env_id, timesteps, seed, default_eval_freq(env_id, timesteps), threads=threads)
    run_one(spec)
    meta = read_meta(spec.run_dir)
    if not meta.get("finished"):
        return f"| {variant} | {env_id} | {meta.get('timesteps', 0)} | stopped before the budget | | | |"
    total = float(meta["wall_clock_s"])
    training = total - float(meta["eval_wall_clock_s"]) - float(meta.get("checkpoint_wall_clock_s", 0.0))
    steps = int(meta["timesteps"])
    return (
        f"| {variant} | {env_id} | {steps} | {training / 60:.1f} | {total / 60:.1f} | {steps / training:.0f} "
        f"| {meta['final_return']:.1f} |"
    )


def timed_learn(variant: str, env_id: str, timesteps: int, seed: int) -> str:
    """Train a baseline without evaluation; :return: its table row."""
    with tempfile.TemporaryDirectory() as folder:
        spec = variant_spec(variant, env_id, timesteps, seed, eval_freq=-1, results_dir=Path(folder))
        manager = make_manager(spec, seed)
        model, _ = manager.setup_experiment()
        start = time.perf_counter()
        model.learn(timesteps)
        seconds = time.perf_counter() - start
    steps = int(model.num_timesteps)
    return f"| {variant} | {env_id} | {steps} | {seconds / 60:.1f} | {seconds / 60:.1f} | {steps / seconds:.0f} | |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="Swimmer-v3")
    parser.add_argument("--variants", nargs="+", default=["gogepo", "gogepo-fast", "ars", "ddpg"], choices=list(VARIANTS))
    parser.add_argument("--timesteps", type=int, default=3_000_000, help="GoGePo's steps (the paper's budget)")
    parser.add_argument("--baseline-timesteps", type=int, default=20_000, help="steps of ARS and DDPG")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    env_id = canonical_env(args.env)
    rows = []
    for variant in args.variants:
        if variant.startswith("gogepo"):
            rows.append(benchmark_run(variant, env_id, args.timesteps, args.seed, args.threads))
        else:
            rows.append(timed_learn(variant, env_id, args.baseline_timesteps, args.seed))
        print(rows[-1], flush=True)
    header = (
        f"\n`python -m benchmarks.performance.end_to_end --env {args.env} --timesteps {args.timesteps} --baseline-timesteps "
        f"{args.baseline_timesteps} --threads {args.threads} --seed {args.seed} --variants {' '.join(args.variants)}` on "
        f"{platform.machine()}, torch {th.__version__}, {time.strftime('%Y-%m-%d')}:\n\n{HEADER}\n"
    )
    os.makedirs(RESULTS, exist_ok=True)
    with open(RESULTS / "end_to_end.md", "a") as file:
        file.write(header + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

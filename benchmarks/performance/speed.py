"""Speed of GoGePo's update block and action computation at the paper's Hopper sizes.

    python -m benchmarks.performance.speed                # CPU, 2 threads; writes benchmarks/results/speed.md
    python -m benchmarks.performance.speed --device cuda  # on a GPU machine; writes benchmarks/results/speed_cuda.md

Every figure is the best (minimum) of several repetitions, with the median beside it; targets are judged on the
median. The update blocks of a round all draw the same batches (the round's seed), so modes and rounds differ in
speed, not in work; FLOPs are counted by ``torch.utils.flop_counter`` on the same batches as the timed block.
"""

import argparse
import functools
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch as th
from stable_baselines3.common.logger import configure
from stable_baselines3.common.policies import BasePolicy
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import RESULTS, commit, table, write_result
from sb3_gogepo import GoGePo
from sb3_gogepo.actor import SlotActor
from sb3_gogepo.buffers import PolicyBuffer
from sb3_gogepo.rollout import SlotRollout

EXACT: dict[str, Any] = dict(update_precision="float32", policy_kwargs={})
FAST: dict[str, Any] = dict(
    update_precision="bfloat16", policy_kwargs=dict(separate_bias_networks=False), buffer_dtype="float16"
)
MODES: dict[str, dict[str, Any]] = {
    "exact (float32, paper)": EXACT,
    "bfloat16 autocast": dict(update_precision="bfloat16", policy_kwargs={}),
    "fast (bfloat16 + shared bias trunk)": FAST,
    "exact, compiled": dict(EXACT, compile_updates=True),
    "fast, compiled": dict(FAST, compile_updates=True),
}


def _sync(device: th.device) -> None:
    if device.type == "cuda":
        th.cuda.synchronize()


def timed(fn: Callable[[], Any], repeats: int, device: th.device, warm_up: bool = True) -> tuple[float, float]:
    """:return: (minimum, median) seconds of ``fn`` over ``repeats`` calls, after one warm-up call."""
    if warm_up:
        fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def matmul_ceiling(dtype: th.dtype, device: th.device) -> float:
    """:return: GFLOP/s of a 4608x256 @ 256x256 product (the shape class of the generator's largest products)."""
    a = th.randn(4608, 256, device=device, dtype=dtype)
    b = th.randn(256, 256, device=device, dtype=dtype)
    out = th.empty(4608, 256, device=device, dtype=dtype)
    best, _ = timed(lambda: [th.mm(a, b, out=out) for _ in range(50)], 10, device)
    return 50 * 2 * 4608 * 256 * 256 / best / 1e9


def filled_model(mode: dict[str, Any], device: str, buffer_entries: int, buffer: PolicyBuffer | None = None) -> GoGePo:
    """
    A Hopper-sized GoGePo with paper settings whose buffer holds ``buffer_entries`` policies.

    :param buffer: A filled buffer to use instead of filling a new one (the policy layout is the same in all modes).
    """
    model = GoGePo("Hopper-v4", seed=0, device=device, **mode)
    if buffer is not None:
        assert model.policy_buffer is not None
        model.policy_buffer.set_entries(*buffer.ordered())  # in the mode's storage dtype
    else:
        assert model.policy_buffer is not None
        with th.no_grad():
            for start in range(0, buffer_entries, 500):
                count = min(500, buffer_entries - start)
                commands = th.linspace(-100, 2000, count, device=model.device)
                params = model.policy.generate(commands)
                params += 0.1 * th.randn_like(params)
                for i in range(count):
                    model.policy_buffer.add(params[i], float(commands[i]))
    model.set_logger(configure(None, []))
    return model


def block_flops(model: GoGePo) -> int:
    """:return: The floating-point operations of one update block of ``model`` (which it runs)."""
    with FlopCounterMode(display=False) as counter:
        model.train()
    return counter.get_total_flops()


def update_block_rows(device: str, repeats: int, buffer_entries: int, ceilings: dict[str, float]) -> list[list[str]]:
    """
    Time the update block of every mode. The modes take turns, one block each per round, so that a machine whose
    speed drifts over minutes (shared VMs do) slows them all alike.

    :param ceilings: Matrix-product GFLOP/s of ``"float32"`` and ``"bfloat16"``: each mode's work is also given as
        the time it would take at the ceiling of its update precision: a bound for the same mathematics with these
        kernels (every FLOP at the best-shaped product's speed, nothing else costing anything).
    """
    models: dict[str, GoGePo] = {}
    for name, mode in MODES.items():
        buffer = next(iter(models.values())).policy_buffer if models else None
        model = models[name] = filled_model(mode, device, buffer_entries, buffer)
        model.train()  # compiles, in the compiled modes
    times: dict[str, list[float]] = {name: [] for name in models}
    flops: dict[str, list[float]] = {name: [] for name in models}
    for round_seed in range(repeats):
        for name, model in models.items():
            th.manual_seed(round_seed)
            flops[name].append(block_flops(model))
            th.manual_seed(round_seed)
            times[name].append(timed(model.train, 1, model.device, warm_up=False)[0])
    rows = []
    for name in models:
        best, median = min(times[name]), statistics.median(times[name])
        work = statistics.median(flops[name]) / 1e9
        at_ceiling = work / ceilings[MODES[name].get("update_precision", "float32")]
        rates = [work / seconds for work, seconds in zip(flops[name], times[name])]
        rows.append(
            [
                name,
                f"{best:.3f}",
                f"{median:.3f}",
                f"{work:.1f}",
                f"{statistics.median(rates) / 1e9:.0f}",
                f"{at_ceiling:.3f}",
                f"{best / at_ceiling:.2f}",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    return rows


def action_rows(device: str, repeats: int) -> list[list[str]]:
    rows = []
    for n_envs in (1, 8):
        model = GoGePo("Hopper-v4", seed=0, device=device)
        actor = SlotActor(model.policy, n_envs)
        with th.no_grad():
            actor.set_params(list(range(n_envs)), model.policy.generate(th.zeros(n_envs, device=model.device)))
        observations = np.random.default_rng(0).normal(size=(n_envs, 11))
        normalizer = model.policy.observation_normalizer

        def step(actor: SlotActor = actor, observations: np.ndarray = observations, normalizer: Any = normalizer) -> None:
            for _ in range(1000):
                actor.act(observations)
                normalizer.accumulate(observations)

        best, median = timed(step, repeats, model.device)
        path = "NumPy acting copies" if actor.uses_numpy else "torch"
        rows.append(
            [str(n_envs), path, f"{best / 1000 * 1e6:.1f}", f"{median / 1000 * 1e6:.1f}", f"{best / 1000 / n_envs * 1e6:.1f}"]
        )
    # model.predict (what evaluation callbacks call): the CPU's NumPy path, and SB3's torch path it replaces.
    model = GoGePo("Hopper-v4", seed=0, device=device)
    observation = np.random.default_rng(0).normal(size=11).astype(np.float32)
    paths = [("model.predict", lambda: model.predict(observation))]
    paths.append(("SB3 BasePolicy.predict (torch)", lambda: BasePolicy.predict(model.policy, observation)))
    for name, call in paths:

        def predict(call: Callable[[], Any] = call) -> None:
            for _ in range(1000):
                call()

        best, median = timed(predict, repeats, model.device)
        rows.append(["1", name, f"{best / 1000 * 1e6:.1f}", f"{median / 1000 * 1e6:.1f}", f"{best / 1000 * 1e6:.1f}"])
    return rows


def _end_episodes(model: GoGePo, rollout: SlotRollout, observations: np.ndarray, n_episodes: int) -> None:
    """End ``n_episodes`` episodes of slot 0 with the steps training takes there, without the update block."""
    assert model.policy_buffer is not None
    slot = np.zeros(1, dtype=np.int64)
    normalizer = model.policy.observation_normalizer
    for _ in range(n_episodes):
        normalizer.accumulate(observations)  # the statistics change, as after any episode
        episode = rollout.finish(0, return_offset=0.0)
        normalizer.commit()
        model.policy_buffer.add(episode.params, 1.0)
        with th.no_grad():
            params = model.policy.generate(th.zeros(1, device=model.device))
            params = params + model.noise_std * th.randn_like(params)
        rollout.start(slot, params)


def episode_end_rows(device: str, repeats: int) -> list[list[str]]:
    """
    Time the work of one episode end outside the update block: the observation statistics committed, the episode's
    policy stored, a new ``G(command) + noise`` generated and loaded into the acting copies (with several env slots,
    every slot's copy is refreshed, since the statistics changed).
    """
    from stable_baselines3.common.env_util import make_vec_env

    rows = []
    for n_envs in (1, 8):
        model = GoGePo(make_vec_env("Hopper-v4", n_envs=n_envs), seed=0, device=device)
        rollout = SlotRollout(model.policy, n_envs)
        with th.no_grad():
            rollout.start(np.arange(n_envs), model.policy.generate(th.zeros(n_envs, device=model.device)))
        observations = np.random.default_rng(0).normal(size=(n_envs, 11))
        end_episodes = functools.partial(_end_episodes, model, rollout, observations, 100)
        best, median = timed(end_episodes, repeats, model.device)
        rows.append([str(n_envs), f"{best / 100 * 1e6:.0f}", f"{median / 100 * 1e6:.0f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--buffer-entries", type=int, default=10_000, help="policies in the buffer (10 000 = full)")
    parser.add_argument("--output", default=None, help="markdown file (default: benchmarks/results/speed[_cuda].md)")
    args = parser.parse_args()
    th.set_num_threads(args.threads)
    device = th.device(args.device)

    fp32 = matmul_ceiling(th.float32, device)
    bf16 = matmul_ceiling(th.bfloat16, device)
    blocks = update_block_rows(args.device, args.repeats, args.buffer_entries, {"float32": fp32, "bfloat16": bf16})
    actions = action_rows(args.device, args.repeats)
    episode_ends = episode_end_rows(args.device, args.repeats)

    machine = th.cuda.get_device_name(device) if device.type == "cuda" else f"{platform.processor() or platform.machine()}"
    text = "\n\n".join(
        [
            f"Machine: {machine}, {args.threads} torch threads, torch {th.__version__}. "
            f"Written by `python -m benchmarks.performance.speed --device {args.device} --threads {args.threads}` at commit "
            f"{commit()}.",
            f"Matrix-product ceiling (4608x256 @ 256x256): **{fp32:.0f} GFLOP/s fp32**, **{bf16:.0f} GFLOP/s bf16**.",
            "**Update block** after each episode: 5 evaluator + 20 generator steps, batch 16, 200 probing states, "
            f"policy 11-256-256-3, buffer of {args.buffer_entries} policies (seconds per block; best / median of "
            f"{args.repeats} rounds, the modes taking turns and drawing the same batches in a round; compiled modes "
            "timed after their compilation; GFLOP counted on the timed batches, median over the rounds; GFLOP/s: "
            "median over the rounds of each block's work over its time; s at ceiling: that work at the matrix-product "
            "ceiling above in the mode's update precision, a bound for the same mathematics with these kernels; "
            "best / ceiling: how far the best block is from it). Fast mode is `update_precision=bfloat16`, "
            "`separate_bias_networks=False` and `buffer_dtype=float16`:",
            table(["mode", "best s", "median s", "GFLOP", "GFLOP/s", "s at ceiling", "best / ceiling"], blocks),
            "**Action computation** per environment step at Hopper sizes (one batched call for all env slots; "
            "includes the observation-statistics update; microseconds). The last two rows: one `predict` call on "
            "one observation, as evaluation callbacks make it, and SB3's torch path that it replaces on the CPU:",
            table(["n_envs", "path", "best us / step", "median us / step", "best us / env"], actions),
            "**Episode end** outside the update block, once per finished episode (observation statistics committed, "
            "the policy stored, a new noisy policy generated for the command and loaded into the acting copies, all "
            "slots' copies refreshed; microseconds per episode end, best / median of "
            f"{args.repeats} x 100). Spread over an episode's steps it adds this divided by the episode length to "
            "the per-step action cost:",
            table(["n_envs", "best us / episode end", "median us / episode end"], episode_ends),
        ]
    )
    output = args.output or os.path.join(RESULTS, "speed.md" if device.type == "cpu" else f"speed_{device.type}.md")
    write_result(output, text + "\n")


if __name__ == "__main__":
    main()

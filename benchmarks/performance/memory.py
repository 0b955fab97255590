"""Peak memory of a Hopper run with a full policy buffer, and what half-precision storage does to the evaluator.

    python -m benchmarks.performance.memory  # writes benchmarks/results/memory.md

Part 1 runs, for each buffer storage dtype, a fresh process that fills a Hopper-sized GoGePo's buffer with 10 000
policies (generated + noise, as in training), then trains on Hopper-v4 for 2 000 steps (episodes, update blocks),
and reports the process's peak resident memory.

Part 2 checks that storage precision does not change what the evaluator learns: the returns of the stored
policies are given by a fixed random "teacher" fingerprint network (a smooth function of each policy's
behaviour, on a return-like scale); a fresh evaluator is trained on them with the paper's settings (Adam 5e-3,
batch 16, recency-weighted sampling) from the same initialisation and the same sample sequence, on float32,
float16- and bfloat16-rounded parameters, and on float32 parameters moved by as much as each rounding in a random
direction (the noise level). Each is scored by its MSE over all policies, paired per sampling seed with float32.
"""

import argparse
import json
import resource
import subprocess
import sys

import numpy as np
import torch as th
import torch.nn.functional as F

from benchmarks.common import RESULTS, ROOT, commit, write_result

DTYPES = ["float32", "float16", "bfloat16"]
CHILD = [sys.executable, "-m", "benchmarks.performance.memory", "--child"]


def fill(model, entries: int) -> None:  # type: ignore[no-untyped-def]
    # Small generator batches, as in training (one per finished episode): large ones would dominate the peak.
    with th.no_grad():
        for start in range(0, entries, 16):
            count = min(16, entries - start)
            commands = th.linspace(-100, 2000, count)
            params = model.policy.generate(commands)
            params += 0.1 * th.randn_like(params)
            for i in range(count):
                model.policy_buffer.add(params[i], float(commands[i]))


def peak_memory_child(dtype: str, entries: int, steps: int) -> None:
    from sb3_gogepo import GoGePo

    th.set_num_threads(2)
    model = GoGePo("Hopper-v4", seed=0, buffer_dtype=dtype)
    fill(model, entries)
    model.learn(steps)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert model.policy_buffer is not None
    stored_mib = model.policy_buffer.params.element_size() * model.policy_buffer.params.numel() / 2**20
    print(json.dumps(dict(dtype=dtype, peak_mib=peak_mib, buffer_mib=stored_mib)))


def evaluator_data(entries: int) -> tuple[th.Tensor, th.Tensor]:
    """
    :return: ``entries`` Hopper-sized policies (generated + noise, as in training) and their returns under a fixed
        random "teacher" fingerprint network (a smooth function of each policy's behaviour, on a return scale).
    """
    from gymnasium import spaces

    from sb3_gogepo.policies import GoGePoPolicy

    obs_space, act_space = spaces.Box(-np.inf, np.inf, (11,)), spaces.Box(-1, 1, (3,))
    th.manual_seed(1234)
    data_policy = GoGePoPolicy(obs_space, act_space)
    teacher = GoGePoPolicy(obs_space, act_space).evaluator
    params, returns = [], []
    with th.no_grad():
        for _ in range(entries // 500):
            batch = data_policy.generate(th.linspace(-100, 2000, 500))
            batch += 0.1 * th.randn_like(batch)
            params.append(batch)
            returns.append(1000 * teacher(batch))
    return th.cat(params), th.cat(returns)


def stored(params: th.Tensor, variant: str) -> th.Tensor:
    """
    :return: The parameters as the evaluator sees them: rounded to a storage dtype (``"float16"``, ``"bfloat16"``),
        or, for ``"<dtype> noise"``, moved by the same amount as that rounding in a random direction (the noise level
        that rounding is compared with), or unchanged (``"float32"``).
    """
    dtype = variant.split()[0]
    rounded = params.to(getattr(th, dtype)).float()
    if not variant.endswith("noise"):
        return rounded
    signs = th.randint(0, 2, params.shape, generator=th.Generator().manual_seed(99)).float() * 2 - 1
    return params + (rounded - params).abs() * signs


def evaluator_mse(params: th.Tensor, returns: th.Tensor, true_params: th.Tensor, seed: int, steps: int) -> float:
    """
    Train a fresh evaluator with the paper's settings (Adam 5e-3, batch 16, recency-weighted sampling) on the given
    stored parameters, from the same initialisation and with the sampling seed ``seed``.

    :return: Its MSE over all the policies, on their unrounded parameters (what it is meant to predict).
    """
    from gymnasium import spaces

    from sb3_gogepo.buffers import PolicyBuffer
    from sb3_gogepo.policies import GoGePoPolicy

    buffer = PolicyBuffer(len(returns), params.shape[1])
    buffer.set_entries(params, returns)
    th.manual_seed(0)
    evaluator = GoGePoPolicy(spaces.Box(-np.inf, np.inf, (11,)), spaces.Box(-1, 1, (3,))).evaluator
    optimizer = th.optim.Adam(evaluator.parameters(), lr=5e-3)
    th.manual_seed(seed)
    for _ in range(steps):
        indices = buffer.sample_indices(16)
        batch, batch_returns = buffer.params[indices].float(), buffer.returns[indices]
        loss = F.mse_loss(evaluator(batch), batch_returns)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with th.no_grad():
        predictions = th.cat([evaluator(true_params[i : i + 500]) for i in range(0, len(true_params), 500)])
    return float(F.mse_loss(predictions, returns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=2000, help="Hopper steps trained after filling the buffer")
    parser.add_argument("--evaluator-steps", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    if args.child:
        peak_memory_child(args.child, args.entries, args.steps)
        return

    memory_rows = []
    for dtype in DTYPES:
        out = (
            subprocess.run(
                [*CHILD, dtype, "--entries", str(args.entries), "--steps", str(args.steps)],
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        result = json.loads(out)
        memory_rows.append(result)
        print(result, flush=True)

    th.set_num_threads(2)
    params, returns = evaluator_data(args.entries)
    variants = ["float32", "float16", "float16 noise", "bfloat16", "bfloat16 noise"]
    mse: dict[str, list[float]] = {variant: [] for variant in variants}
    for variant in variants:
        data = stored(params, variant)
        for seed in range(args.seeds):
            mse[variant].append(evaluator_mse(data, returns, params, seed, args.evaluator_steps))
        print(variant, mse[variant], flush=True)
    reference = np.array(mse["float32"])

    def paired(variant: str) -> str:
        differences = np.array(mse[variant]) - reference
        return f"{differences.mean():+.2f} ± {differences.std(ddof=1):.2f}"

    command = " ".join(["python -m benchmarks.performance.memory", *sys.argv[1:]])
    lines = [
        f"Written by `{command}` at commit {commit()} (buffer of {args.entries} Hopper policies, 69 635 parameters "
        f"each, then {args.steps} Hopper-v4 training steps; peak resident memory of the whole process). Target: at "
        "most 2 GB (2048 MiB).",
        "",
        "| buffer_dtype | buffer allocation (MiB, touched as it fills) | peak RSS (MiB) | within 2 GB |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['dtype']} | {r['buffer_mib']:.0f} | {r['peak_mib']:.0f} | {'yes' if r['peak_mib'] <= 2048 else 'no'} |"
        for r in memory_rows
    ]
    lines += [
        "",
        f"Evaluator MSE over all {args.entries} policies (teacher returns, predicted from the unrounded parameters) "
        f"after {args.evaluator_steps} steps trained on the stored parameters; same data, same initialisation, "
        f"sampling seeds 0-{args.seeds - 1}. Paired difference to float32 over the seeds (mean ± sample std). "
        "A `noise` row moves every parameter by as much as the rounding of that dtype, in a random direction: "
        "the rounding matters no more than noise of its size when its row and the noise row agree.",
        "",
        "| stored as | mean MSE | paired difference to float32 |",
        "|---|---|---|",
    ]
    lines += [f"| float32 | {reference.mean():.1f} | - |"]
    lines += [f"| {variant} | {np.mean(mse[variant]):.1f} | {paired(variant)} |" for variant in variants[1:]]
    write_result(RESULTS / "memory.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

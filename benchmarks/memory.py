"""Peak memory of a Hopper run with a full policy buffer, and what half-precision storage does to the evaluator.

    python benchmarks/memory.py        # writes benchmarks/results/memory.md

Part 1 runs, for each buffer storage dtype, a fresh process that fills a Hopper-sized GoGePo's buffer with 10 000
policies (generated + noise, as in training), then trains on Hopper-v4 for 2 000 steps (episodes, update blocks),
and reports the process's peak resident memory.

Part 2 checks that storage precision does not change what the evaluator learns: the returns of 10 000 stored
policies are given by a fixed random "teacher" fingerprint network (a smooth function of each policy's
behaviour, on a return-like scale); a fresh evaluator is trained on them with the paper's settings (Adam 5e-3,
batch 16, recency-weighted sampling) from the same initialisation and the same sample sequence, once with float32
storage and once with float16/bfloat16 storage. The spread across sampling seeds in float32 is the noise level.
"""

import argparse
import json
import os
import resource
import subprocess
import sys

import numpy as np
import torch as th
import torch.nn.functional as F

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
DTYPES = ["float32", "float16", "bfloat16"]


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
    print(json.dumps(dict(dtype=dtype, peak_mib=peak_mib, buffer_mib=stored_mib, episodes=model._episode_num)))


def evaluator_losses(dtype: str, seed: int, steps: int, entries: int) -> list[float]:
    from gymnasium import spaces

    from sb3_gogepo.buffers import PolicyBuffer
    from sb3_gogepo.policies import GoGePoPolicy

    obs_space, act_space = spaces.Box(-np.inf, np.inf, (11,)), spaces.Box(-1, 1, (3,))
    th.manual_seed(1234)
    data_policy = GoGePoPolicy(obs_space, act_space)
    teacher = GoGePoPolicy(obs_space, act_space).evaluator
    buffer = PolicyBuffer(entries, data_policy.layout.n_params, storage_dtype=dtype)
    with th.no_grad():
        for _ in range(entries // 500):
            commands = th.linspace(-100, 2000, 500)
            params = data_policy.generate(commands)
            params += 0.1 * th.randn_like(params)
            returns = 1000 * teacher(params)
            for i in range(500):
                buffer.add(params[i], float(returns[i]))
    th.manual_seed(0)
    evaluator = GoGePoPolicy(obs_space, act_space).evaluator
    optimizer = th.optim.Adam(evaluator.parameters(), lr=5e-3)
    th.manual_seed(seed)
    losses = []
    for _ in range(steps):
        params, returns = buffer.sample(16)
        loss = F.mse_loss(evaluator(params), returns)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=2000, help="Hopper steps trained after filling the buffer")
    parser.add_argument("--evaluator-steps", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        peak_memory_child(args.child, args.entries, args.steps)
        return

    memory_rows = []
    for dtype in DTYPES:
        out = (
            subprocess.run(
                [sys.executable, __file__, "--child", dtype, "--entries", str(args.entries), "--steps", str(args.steps)],
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
    window = args.evaluator_steps // 5
    loss_rows = []
    reference = None
    for dtype in DTYPES:
        finals = [
            float(np.mean(evaluator_losses(dtype, seed, args.evaluator_steps, 2000)[-window:])) for seed in range(args.seeds)
        ]
        loss_rows.append((dtype, finals))
        reference = reference or finals
        print(dtype, finals, flush=True)

    lines = [
        f"Written by `python benchmarks/memory.py` (buffer of {args.entries} Hopper policies, 69 635 parameters "
        f"each, then {args.steps} Hopper-v4 training steps; peak resident memory of the whole process).",
        "",
        "| buffer_dtype | buffer allocation (MiB, touched as it fills) | peak RSS (MiB) |",
        "|---|---|---|",
    ]
    lines += [f"| {r['dtype']} | {r['buffer_mib']:.0f} | {r['peak_mib']:.0f} |" for r in memory_rows]
    lines += [
        "",
        f"Evaluator loss (MSE on teacher returns, mean of the last {window} of {args.evaluator_steps} steps; same "
        "initialisation, same data; one column per sampling seed):",
        "",
        "| buffer_dtype | " + " | ".join(f"seed {s}" for s in range(args.seeds)) + " | mean |",
        "|---|" + "---|" * (args.seeds + 1),
    ]
    lines += [f"| {d} | " + " | ".join(f"{v:.1f}" for v in f) + f" | {np.mean(f):.1f} |" for d, f in loss_rows]
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "memory.md"), "w") as file:
        file.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""
How much the exploration noise costs the policies a generator makes, in this package's runs and the authors' script's.

    python -m benchmarks.noise_robustness RUN_FOLDER... [--authors-code PATH] [--output FILE]

Training episodes run ``G(c) + sigma * noise`` with ``c`` the best training return plus the drive (20) and ``sigma``
0.1 on every parameter; the evaluations run ``G(best)`` without noise. For each snapshot of a run (``snapshots/`` at
25/50/75/100 % of the budget: ``model_<pct>.zip`` of ``benchmarks.run``, ``authors_state_<pct>.pt`` of
``benchmarks.authors_script``, which needs ``--authors-code``), this script takes the parameters generated for the
command of the next training episode and measures over ``--episodes`` episodes (true returns, the same episode seeds
and the same noise draws for every run):

- the return of the noise-free parameters;
- the return with the run's noise on every parameter, as in training;
- the return with that noise on one layer's weights and bias only, per layer;
- the fraction of action components at 95 % of the half range or more on the noise-free episodes (saturated
  actions: a ``tanh`` output whose pre-activation is large, which noise on the last layer hardly moves).

Results are cached per run in ``<run>/noise_robustness.csv`` (committed); ``--no-compute`` renders the caches only.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th

from benchmarks import authors_checkpoint
from benchmarks.authors_generator import AuthorsGenerator
from benchmarks.run import SNAPSHOT_FRACTIONS, read_meta, read_rows, snapshot_file
from sb3_gogepo.sweep_records import write_sweep_csv

CACHE_FILE = "noise_robustness.csv"
#: Seed of the first episode (episode k is seeded with this plus k); the noise of episode k is drawn from a torch
#: generator seeded with k.
EPISODE_SEED = 5_000_000
#: An action component at least this fraction of its half range from the centre counts as saturated.
SATURATION = 0.95

#: Acting function: flat parameters and one raw observation to one action.
Actor = Callable[[th.Tensor, np.ndarray], np.ndarray]


class SnapshotPolicy:
    """
    The parameters a snapshot's generator makes for the command of its next training episode, and how it acts.

    :param params: Flat noise-free parameters ``(n_params,)``, layer by layer (weight ``(out, in)``, then bias).
    :param act: Acting function of the run's code (observation normalisation and action head included).
    :param sizes: Layer sizes of the policy (observations, hidden layers, action outputs).
    :param command: The command the parameters were generated for.
    :param noise_std: The run's exploration noise.
    :param timesteps: Training steps at the snapshot.
    """

    def __init__(
        self, params: th.Tensor, act: Actor, sizes: Sequence[int], command: float, noise_std: float, timesteps: int
    ) -> None:
        self.params, self.act, self.sizes = params.detach().float().clone(), act, list(sizes)
        self.command, self.noise_std, self.timesteps = command, noise_std, timesteps
        n_params = layer_slices(self.sizes)[-1].stop
        if self.params.shape != (n_params,):
            raise ValueError(
                f"layer sizes {self.sizes} take {n_params} parameters, the generator made {tuple(self.params.shape)}"
            )


def layer_slices(sizes: Sequence[int]) -> list[slice]:
    """:return: Per linear layer, the slice of its weight and bias in the flat parameters."""
    slices, offset = [], 0
    for n_in, n_out in itertools.pairwise(sizes):
        slices.append(slice(offset, offset + n_out * (n_in + 1)))
        offset += n_out * (n_in + 1)
    return slices


def perturbed(params: th.Tensor, noise: th.Tensor, std: float, part: slice | None = None) -> th.Tensor:
    """:return: ``params`` with ``std * noise`` added to all of them, or to ``part`` only."""
    result = params.clone()
    if part is None:
        result += std * noise
    else:
        result[part] += std * noise[part]
    return result


def gogepo_policy(path: Path) -> SnapshotPolicy:
    """:return: The policy of a GoGePo snapshot (``model_<pct>.zip``) for the command of its next training episode."""
    from sb3_gogepo import GoGePo

    model = GoGePo.load(path, device="cpu")
    policy = model.policy
    command = policy.acting_command() + model.command_drive

    def act(params: th.Tensor, observation: np.ndarray) -> np.ndarray:
        with th.no_grad():
            return policy.act_with(params, th.as_tensor(observation, dtype=th.float32).reshape(1, -1))[0].numpy()

    return SnapshotPolicy(policy.params_for(command), act, policy.layout.sizes, command, model.noise_std, model.num_timesteps)


def authors_policy(generator: AuthorsGenerator) -> SnapshotPolicy:
    """:return: The policy an authors' snapshot makes for the command of their next training episode (best + drive)."""
    command = generator.next_command
    return SnapshotPolicy(
        generator.params_for(command), generator.act, generator.sizes, command, generator.noise_std, generator.timesteps
    )


def episode(env: gym.Env, act: Callable[[np.ndarray], np.ndarray], seed: int) -> tuple[float, np.ndarray]:
    """:return: The true return of one episode and its actions."""
    observation, _ = env.reset(seed=seed)
    total, actions, done = 0.0, [], False
    while not done:
        action = act(observation)
        actions.append(action)
        observation, reward, terminated, truncated, _ = env.step(action)
        total += float(reward)
        done = terminated or truncated
    return total, np.asarray(actions)


def measure(policy: SnapshotPolicy, env_id: str, n_episodes: int) -> dict[str, float]:
    """:return: One cache row: returns without noise, with noise, with noise per layer, and saturated actions."""
    env = gym.make(env_id)
    assert isinstance(env.action_space, gym.spaces.Box)
    center = (env.action_space.high + env.action_space.low) / 2
    half_range = (env.action_space.high - env.action_space.low) / 2
    slices = layer_slices(policy.sizes)
    conditions: dict[str, Callable[[th.Tensor], th.Tensor]] = {
        "return_noise_free": lambda noise: policy.params,
        "return_noisy": lambda noise: perturbed(policy.params, noise, policy.noise_std),
    }
    for layer, part in enumerate(slices):
        conditions[f"return_noise_on_layer_{layer}"] = lambda noise, part=part: perturbed(  # type: ignore[misc]
            policy.params, noise, policy.noise_std, part
        )
    returns: dict[str, list[float]] = {name: [] for name in conditions}
    saturated = []
    for index in range(n_episodes):
        noise = th.randn(policy.params.shape, generator=th.Generator().manual_seed(index))
        for name, make in conditions.items():
            episode_return, actions = episode(env, functools.partial(policy.act, make(noise)), EPISODE_SEED + index)
            returns[name].append(episode_return)
            if name == "return_noise_free":
                saturated.append(np.abs(actions - center) >= SATURATION * half_range)
    env.close()
    row = {"timesteps": float(policy.timesteps), "command": policy.command, "noise_std": policy.noise_std}
    row.update({name: float(np.mean(values)) for name, values in returns.items()})
    row["saturated_actions"] = float(np.mean(np.concatenate(saturated)))
    row["episodes"] = float(n_episodes)
    return row


def snapshots(run_dir: Path) -> list[tuple[int, Path]]:
    """:return: ``(percent, path)`` of the run's snapshots, in order of the budget fractions."""
    file = authors_checkpoint.snapshot_file if read_meta(run_dir).get("algo") == "authors" else snapshot_file
    found = []
    for fraction in SNAPSHOT_FRACTIONS:
        percent = round(100 * fraction)
        path = run_dir / file(percent)
        if path.is_file():
            found.append((percent, path))
    return found


def robustness(run_dir: Path, n_episodes: int, authors_code: Path | None, compute: bool = True) -> list[dict[str, float]]:
    """
    :return: The cached rows of a run, with rows computed for the snapshots the cache lacks (if ``compute``); the cache
        is rewritten when rows were added.
    """
    cache = run_dir / CACHE_FILE
    rows = read_rows(cache) if cache.is_file() else []
    done = {int(row["percent"]) for row in rows}
    if not compute:
        return rows
    meta = read_meta(run_dir)
    added = False
    for percent, path in snapshots(run_dir):
        if percent in done:
            continue
        if meta.get("algo") == "authors":
            if authors_code is None:
                raise ValueError(f"{run_dir} is a run of the authors' script: pass --authors-code")
            policy = authors_policy(AuthorsGenerator.load(path, authors_code, meta))
        else:
            policy = gogepo_policy(path)
        rows.append({"percent": float(percent), **measure(policy, str(meta["env_id"]), n_episodes)})
        added = True
    if added:
        rows.sort(key=lambda row: row["percent"])
        write_sweep_csv(str(cache), list(rows[0]), rows)
    return rows


def kept_return(row: dict[str, float]) -> float:
    """:return: The noisy return over the noise-free return of one measured snapshot (NaN for a noise-free return of 0
    or below, where the fraction says nothing)."""
    return row["return_noisy"] / row["return_noise_free"] if row["return_noise_free"] > 0 else math.nan


def _format_ratio(ratio: float) -> str:
    return "-" if math.isnan(ratio) else f"{ratio:.2f}"


def render(run_dirs: Sequence[Path], tables: Sequence[Sequence[dict[str, float]]]) -> str:
    """:return: The Markdown report."""
    n_layers = max((sum(key.startswith("return_noise_on_layer_") for key in rows[0]) for rows in tables if rows), default=0)
    lines = [
        "How much the exploration noise costs the generated policies. Written by `python -m benchmarks.noise_robustness` "
        "(see its docstring). Per snapshot of a run, the parameters generated for the command of its next training "
        "episode (best training return + 20) are run without noise, with the run's noise (0.1 on every parameter, as in "
        "training) and with that noise on one layer only (layer 0 takes the observations, the last gives the actions); "
        "mean true return over the same episodes and noise draws for every run. *Saturated*: the fraction of action "
        "components at 95 % of the half range or more, noise-free.\n",
    ]
    header = ["run", "snapshot", "steps", "command", "noise-free", "noisy", "noisy / noise-free"]
    header += [f"noise on layer {i}" for i in range(n_layers)]
    header.append("saturated")
    lines.append("| " + " | ".join(header) + " |")
    lines.append("| " + " | ".join("---" for _ in header) + " |")
    groups: dict[Path, list[tuple[Path, list[float]]]] = {}  # per folder of seeds: each run's kept returns
    for run_dir, rows in zip(run_dirs, tables):
        ratios = [kept_return(row) for row in rows]
        groups.setdefault(run_dir.parent, []).append((run_dir, ratios))
        for row, ratio in zip(rows, ratios):
            cells = [
                f"`{run_dir}`",
                f"{int(row['percent'])} %",
                f"{int(row['timesteps'])}",
                f"{row['command']:.1f}",
                f"{row['return_noise_free']:.1f}",
                f"{row['return_noisy']:.1f}",
                _format_ratio(ratio),
            ]
            cells += [
                f"{row[f'return_noise_on_layer_{i}']:.1f}" if f"return_noise_on_layer_{i}" in row else "-"
                for i in range(n_layers)
            ]
            cells.append(f"{row['saturated_actions']:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "The fraction of the noise-free return that the noisy policies keep, per folder of seeds, over its snapshots:",
        "",
        "| runs | seeds | snapshots | noisy / noise-free: min | max |",
        "| --- | --- | --- | --- | --- |",
    ]
    for folder, runs in groups.items():
        ratios = [ratio for _, run_ratios in runs for ratio in run_ratios if not math.isnan(ratio)]
        seeds = ", ".join(run_dir.name.removeprefix("seed_") for run_dir, _ in runs)
        low, high = (_format_ratio(min(ratios)), _format_ratio(max(ratios))) if ratios else ("-", "-")
        lines.append(f"| `{folder}` | {seeds} | {sum(len(run_ratios) for _, run_ratios in runs)} | {low} | {high} |")
    episodes = sorted({int(row["episodes"]) for rows in tables for row in rows})
    lines.append(f"\nEpisodes per condition: {', '.join(map(str, episodes)) or '-'}.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dirs", nargs="+", type=Path, help="run folders with snapshots/ (or a cache)")
    parser.add_argument("--episodes", type=int, default=10, help="episodes per condition")
    parser.add_argument("--authors-code", type=Path, default=None, help="checkout of IDSIA/GoGePo, for the authors' runs")
    parser.add_argument("--no-compute", action="store_true", help="render the cached rows only")
    parser.add_argument("--output", type=Path, default=None, help="Markdown file (default: print)")
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error(f"--episodes must be at least 1, got {args.episodes}")
    th.set_num_threads(1)
    import sb3_gogepo  # noqa: F401  (the v3/v2 ids of the runs)

    tables = [robustness(run_dir, args.episodes, args.authors_code, not args.no_compute) for run_dir in args.run_dirs]
    text = render(args.run_dirs, tables)
    if args.output is None:
        print(text, end="")
    else:
        args.output.write_text(text)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

"""``benchmarks.noise_robustness``: what the exploration noise costs the policies a generator makes."""

import shutil
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch as th

from benchmarks import run as bench
from benchmarks.authors_generator import AuthorsGenerator
from benchmarks.noise_robustness import (
    CACHE_FILE,
    EPISODE_SEED,
    authors_policy,
    episode,
    gogepo_policy,
    layer_slices,
    measure,
    perturbed,
    render,
    robustness,
)
from sb3_gogepo import GoGePo
from tests.test_benchmarks import MOUNTAIN_CAR, tiny_spec


def test_noise_goes_on_every_parameter_or_on_one_part_only() -> None:
    params, noise = th.arange(10.0), th.ones(10)
    assert th.equal(perturbed(params, noise, 0.5), params + 0.5)
    one_layer = perturbed(params, noise, 0.5, slice(3, 6))
    assert th.equal(one_layer[3:6], params[3:6] + 0.5)
    assert th.equal(one_layer[:3], params[:3]) and th.equal(one_layer[6:], params[6:])
    assert th.equal(params, th.arange(10.0))


def test_a_layer_is_its_weight_and_bias_in_the_flat_parameters() -> None:
    model = GoGePo("MlpPolicy", "Pendulum-v1", policy_kwargs=dict(net_arch=[5, 4]))
    layout = model.policy.layout
    slices = layer_slices(layout.sizes)
    assert len(slices) == layout.n_layers and slices[-1].stop == layout.n_params
    for part, weight, bias in zip(slices, layout.weight_slices, layout.bias_slices):
        assert (part.start, weight.stop, part.stop) == (weight.start, bias.start, bias.stop)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny GoGePo run on MountainCarContinuous (3000 steps, episodes of 999), with its four snapshots."""
    spec = tiny_spec(tmp_path_factory.mktemp("results"), "gogepo")
    assert bench.run_one(spec) == "finished"
    return spec.run_dir


def test_a_runs_snapshots_are_measured_for_the_command_of_their_next_episode_and_cached(
    tiny_run: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    later = tmp_path / "later"
    later.mkdir()
    for name in ("model_75.zip", "model_100.zip"):
        shutil.move(run_dir / "snapshots" / name, later / name)
    rows = robustness(run_dir, 1, None)
    assert [row["percent"] for row in rows] == [25, 50]
    model = GoGePo.load(run_dir / "snapshots" / "model_25.zip", device="cpu")
    assert 750 <= rows[0]["timesteps"] == model.num_timesteps < rows[1]["timesteps"]
    command = model.policy.acting_command() + model.command_drive
    assert rows[0]["command"] == pytest.approx(command) and rows[0]["noise_std"] == pytest.approx(model.noise_std)
    # The noise-free policy acts as the model's own policy for that command does.
    env = gym.make(MOUNTAIN_CAR)
    commanded = model.policy.commanded(command)
    expected, _ = episode(env, lambda observation: commanded.predict(observation, deterministic=True)[0], EPISODE_SEED)
    assert rows[0]["return_noise_free"] == pytest.approx(expected, rel=1e-4)
    # Snapshots saved later are measured when they appear; the cached rows are kept as they are.
    cached = (run_dir / CACHE_FILE).read_text()
    for name in ("model_75.zip", "model_100.zip"):
        shutil.move(later / name, run_dir / "snapshots" / name)
    assert robustness(run_dir, 1, None, compute=False) == rows
    grown = robustness(run_dir, 1, None)
    assert [row["percent"] for row in grown] == [25, 50, 75, 100] and grown[:2] == rows
    assert (run_dir / CACHE_FILE).read_text().startswith(cached.splitlines()[0])
    table = render([run_dir], [grown])
    assert table.count(f"`{run_dir}`") == 4 and "noise on layer 1" in table and "noise on layer 2" not in table


def test_the_report_gives_the_fraction_of_the_noise_free_return_each_folder_of_seeds_keeps(tmp_path: Path) -> None:
    def row(percent: int, noise_free: float, noisy: float) -> dict[str, float]:
        measured = {"return_noise_free": noise_free, "return_noisy": noisy, "return_noise_on_layer_0": noisy}
        return {
            "percent": percent,
            "timesteps": 10 * percent,
            "command": 1.0,
            "saturated_actions": 0.5,
            "episodes": 10,
        } | measured

    runs = [tmp_path / "a" / "seed_0", tmp_path / "a" / "seed_1", tmp_path / "b" / "seed_0"]
    tables = [[row(25, 200.0, 100.0), row(50, 200.0, 150.0)], [row(25, -10.0, -30.0), row(50, 100.0, 40.0)], []]
    lines = render(runs, tables).splitlines()
    assert lines[2].split(" | ")[6] == "noisy / noise-free"
    assert [line.split(" | ")[6] for line in lines[4:8]] == ["0.50", "0.75", "-", "0.40"]  # no fraction of a return below 0
    assert f"| `{tmp_path / 'a'}` | 0, 1 | 4 | 0.40 | 0.75 |" in lines
    assert f"| `{tmp_path / 'b'}` | 0 | 0 | - | - |" in lines


def test_without_noise_every_condition_is_the_noise_free_policy(tiny_run: Path) -> None:
    policy = gogepo_policy(tiny_run / "snapshots" / "model_100.zip")
    noisy = measure(policy, MOUNTAIN_CAR, 2)
    policy.noise_std = 0.0
    quiet = measure(policy, MOUNTAIN_CAR, 2)
    returns = [name for name in quiet if name.startswith("return_")]
    assert len(returns) == 4 and all(quiet[name] == quiet["return_noise_free"] for name in returns)
    assert noisy["return_noise_free"] == quiet["return_noise_free"] and noisy["return_noisy"] != quiet["return_noisy"]


class _Statistics:
    total_ts, episode, max_rew = 5000, 3, 80.0

    @staticmethod
    def normalize(observation: th.Tensor) -> th.Tensor:
        return (observation - 1) / 2


def test_the_authors_policy_is_made_and_acts_as_their_script_makes_and_runs_it() -> None:
    commands: list[float] = []
    observations: list[list[float]] = []

    def generator(command: th.Tensor) -> th.Tensor:
        commands.append(float(command))
        return th.arange(13.0)[None]

    class ActorCritic:
        def act(self, observation: th.Tensor, params: th.Tensor, virtual_module: Any) -> np.ndarray:
            observations.append(observation.tolist())
            return np.array([[0.5]])

    statistics = _Statistics()
    snapshot = {"statistics": statistics, "generator": generator, "ac": ActorCritic(), "virtual_mlp": None}
    config = dict(drive_parameter=20, rew_max=365, rew_min=-100, noise_policy=0.1, observation_normalization=True)
    policy = authors_policy(AuthorsGenerator(snapshot, config, [2, 3, 1]))
    assert policy.command == 100.0 and commands == [pytest.approx(100.0 / 465)]
    assert (policy.noise_std, policy.timesteps) == (0.1, 5000) and th.equal(policy.params, th.arange(13.0))
    assert policy.act(policy.params, np.array([3.0, 5.0])) == pytest.approx([0.5])
    statistics.episode = 0  # their statistics normalise only after the first episode
    policy.act(policy.params, np.array([3.0, 5.0]))
    assert observations == [[1.0, 2.0], [3.0, 5.0]]
    with pytest.raises(ValueError, match=r"take 17 parameters, the generator made \(13,\)"):
        authors_policy(AuthorsGenerator(snapshot, config, [2, 4, 1]))

"""``benchmarks.authors_fidelity``: the command and frontier fidelity of the authors' final generators (without their code)."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch as th

from benchmarks import authors_fidelity
from benchmarks import run as bench
from benchmarks.authors_generator import AuthorsGenerator
from benchmarks.report import FRONTIER_FILE, SWEEP_FILE, Run, fidelity, paper_commands

#: Hopper's flat policy: 11 observations, one hidden layer of 2, 3 actions.
SIZES = [11, 2, 3]
CONFIG = dict(drive_parameter=20, rew_max=3000, rew_min=-100, noise_policy=0.1, observation_normalization=False)


class _Statistics:
    total_ts, episode, max_rew = 9000, 5, 1550.0


def fake_generator(seen: list[float]) -> AuthorsGenerator:
    """A generator whose policy pushes every joint to the command's sign; it records the inputs it got."""

    def generator(command: th.Tensor) -> th.Tensor:
        seen.append(float(command))
        return th.full((1, 2 * 12 + 3 * 3), float(command))

    class ActorCritic:
        def act(self, observation: th.Tensor, params: th.Tensor, virtual_module: Any) -> np.ndarray:
            return np.sign(params[:3].numpy())[None]

    snapshot = {"statistics": _Statistics(), "generator": generator, "ac": ActorCritic(), "virtual_mlp": None}
    return AuthorsGenerator(snapshot, CONFIG, SIZES)


def test_the_sweep_runs_their_policy_per_command_and_removes_the_survival_bonus_from_the_training_return() -> None:
    seen: list[float] = []
    rows = authors_fidelity.sweep(fake_generator(seen), "Hopper-v3", [-100.0, 1550.0], n_episodes=2, seed=3, offset=-1.0)
    assert seen == pytest.approx([-100.0 / 3100, 1550.0 / 3100])  # their command input: divided by the return range
    assert [row["command"] for row in rows] == [-100.0, 1550.0]
    for row in rows:
        assert row["mean_length"] < 1000  # pushing every joint to a bound makes the hopper fall
        assert row["mean_training_return"] == pytest.approx(row["mean_return"] - row["mean_length"])
    again = authors_fidelity.sweep(fake_generator([]), "Hopper-v3", [-100.0, 1550.0], n_episodes=2, seed=3, offset=-1.0)
    assert again == rows and rows[0]["std_return"] > 0  # seeded at the first reset only: episodes differ


def authors_run(results: Path, finished: bool = True) -> Path:
    folder = bench.run_dir(results, "Hopper-v3", "authors", 3000, 1)
    (folder / "snapshots").mkdir(parents=True)
    (folder / "snapshots" / "authors_state_100.pt").write_bytes(b"read by the patched AuthorsGenerator.load")
    bench.write_rows(folder / bench.CSV_FILE, [{"timesteps": 3000, "mean_return": 1.0}])
    meta = {"algo": "authors", "env_id": "Hopper-v3", "seed": 1, "finished": finished, "config": CONFIG}
    bench.write_json(folder / bench.META_FILE, meta)
    return folder


def test_the_caches_give_the_authors_runs_fidelities_as_gogepos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []
    monkeypatch.setattr(AuthorsGenerator, "load", classmethod(lambda cls, path, code, meta: fake_generator(seen)))
    folder = authors_run(tmp_path)
    assert authors_fidelity.fidelity_caches(folder, tmp_path / "their code", n_episodes=1)
    sweep, frontier = bench.read_rows(folder / SWEEP_FILE), bench.read_rows(folder / FRONTIER_FILE)
    assert [row["command"] for row in sweep] == pytest.approx(paper_commands("Hopper-v3").tolist())
    assert frontier[0]["best_training_return"] == 1550.0  # their max_rew, the command of their evaluations
    assert len(seen) == 21 and seen[-1] == pytest.approx(1550.0 / 3100)  # 20 commands, then the frontier's
    assert sweep[0]["mean_training_return"] == pytest.approx(sweep[0]["mean_return"] - sweep[0]["mean_length"])
    run = Run(folder, "Hopper-v3", "authors", 3000, 1, [], bench.read_meta(folder))
    command, frontier_fidelity = fidelity([run], n_episodes=1, compute=False)
    errors = [abs(row["mean_training_return"] - row["command"]) for row in sweep]
    assert command == pytest.approx([np.mean(errors) / 3100])
    assert frontier_fidelity == pytest.approx([frontier[0]["mean_training_return"] / 1550.0])

    n_calls = len(seen)
    assert not authors_fidelity.fidelity_caches(folder, tmp_path / "their code")  # cached: skipped
    assert len(seen) == n_calls


def test_unfinished_runs_are_skipped_and_other_runs_refused(tmp_path: Path) -> None:
    assert not authors_fidelity.fidelity_caches(authors_run(tmp_path / "a", finished=False), tmp_path / "their code")
    folder = authors_run(tmp_path / "b")
    bench.write_json(folder / bench.META_FILE, {**bench.read_meta(folder), "algo": "gogepo"})
    with pytest.raises(ValueError, match="not a run of the authors' script"):
        authors_fidelity.fidelity_caches(folder, tmp_path / "their code")

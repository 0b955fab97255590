"""The gym shim and the two-part script runner used to run the authors' code (tested without their code)."""

import io
import os
import shutil
import socket
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from benchmarks.authors_code import ENV_SEED_STRIDE, AuthorsScript, install_gym_shim, recency_weights

#: The arguments of their script, which AuthorsScript passes.
ARGUMENTS = """
import argparse
import gym
parser = argparse.ArgumentParser()
parser.add_argument("--env_name")
parser.add_argument("--seed", type=int)
parser.add_argument("--use_gpu", type=int)
args = parser.parse_args()
"""
#: A script shaped like theirs: arguments, config and environment at module level, then a top-level training loop.
FAKE_SCRIPT = (
    ARGUMENTS
    + """
from gym.spaces import Box
config = dict(max_timesteps=1000, seed=args.seed)
env = gym.make(args.env_name)
assert isinstance(env.action_space, Box)
steps = 0
first = env.reset()
while steps < config["max_timesteps"]:
    obs, reward, done, info = env.step(env.action_space.high)
    steps += 1
    if done:
        env.reset()
print("steps", steps)
"""
)


@pytest.fixture(autouse=True)
def _restore_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shim and the imported script module leave ``sys.modules`` and ``sys.path`` as they were after each test."""
    for name in ("gym", "gym.spaces", "core_gogepo"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType("placeholder"))  # deleted again at the end
        del sys.modules[name]
    monkeypatch.setattr(sys, "path", list(sys.path))


def test_script_runs_in_two_parts_with_the_shim(tmp_path: Path) -> None:
    (tmp_path / "gogepo.py").write_text(FAKE_SCRIPT)
    (tmp_path / "core_gogepo.py").write_text("")
    fake_checkout = tmp_path
    shim = install_gym_shim(seed=3)
    output = io.StringIO()
    script = AuthorsScript(fake_checkout, "MountainCarContinuous-v0", seed=3, stdout=output)
    namespace = script.set_up()
    assert namespace["steps"] == 0 and namespace["config"]["seed"] == 3
    namespace["config"]["max_timesteps"] = 7
    script.train()
    assert namespace["steps"] == 7 and output.getvalue() == "steps 7\n"
    env = shim.envs[0]
    assert env.finished_episodes == []
    # The first reset was seeded: the same seed gives the same first observation.
    again = install_gym_shim(seed=3).make("MountainCarContinuous-v0")
    np.testing.assert_array_equal(again.reset(), namespace["first"])


def test_shim_environments() -> None:
    shim = install_gym_shim(seed=5)
    train, test = shim.make("MountainCarContinuous-v0"), shim.make("MountainCarContinuous-v0")
    assert (train.reset_seed, test.reset_seed) == (5, 5 + ENV_SEED_STRIDE)
    train.reset()
    for _ in range(998):  # MountainCarContinuous-v0 is truncated at 999 steps
        _, _, done, _ = train.step(np.zeros(1, dtype=np.float32))
        assert not done
    _, reward, done, info = train.step(np.zeros(1, dtype=np.float32))
    assert done and isinstance(reward, float) and isinstance(info, dict)
    assert len(train.finished_episodes) == 1 and train.finished_episodes[0][1] == 999


def test_recency_weights_are_theirs() -> None:
    # Their Buffer.sample_replay: reversed reciprocals of 1..n, to the power 1.1 (the newest entry last, weight 1).
    theirs = np.array(list(reversed(list(np.reciprocal(np.arange(1, 6, dtype=float)))))) ** 1.1
    np.testing.assert_array_equal(recency_weights(5), theirs)


#: A training script with the globals ``benchmarks.authors_script`` uses: ``config``, ``statistics``, ``evaluate`` (and
#: the command sweeps it times), a training and a test environment, evaluations every ``ts_evaluation`` steps, and a
#: ``train()`` of one episode. With ``NOISE`` above 0 its actions depend on every random stream, on the observations
#: (the environments' random starts) and on a network that Adam trains after each episode. It sends itself SIGTERM
#: after the episode ``$FAKE_SCRIPT_STOP_AT`` and raises after the episode ``$FAKE_SCRIPT_FAIL_AT``.
FAKE_TRAINING_SCRIPT = (
    ARGUMENTS
    + """
import os
import shutil
import random
import signal

import core_gogepo as core
import numpy as np
import torch

NOISE = 0.0
config = dict(max_timesteps=10**9, ts_evaluation=10**9)
env = gym.make(args.env_name)
env_test = gym.make(args.env_name)

statistics = core.Statistics()
generator = torch.nn.Linear(1, 1)
optimize_generator = torch.optim.Adam(generator.parameters(), lr=0.1)


def act(scale, observation):
    with torch.no_grad():
        mean = float(torch.tanh(generator(torch.ones(1))))
    return env.action_space.high * scale * (1 + NOISE * (mean + np.random.randn() + random.random() + observation[0]))


def evaluate(policy_params, log=True, n_eval=10):
    returns = []
    for _ in range(n_eval):
        observation = env_test.reset()
        done, total = False, 0.0
        while not done:
            observation, reward, done, _ = env_test.step(act(policy_params, observation))
            total += reward
        returns.append(total)
    return sum(returns) / n_eval


def evaluate_behavior(rew_min, rew_max, n_steps):
    return [evaluate(0.0, log=False, n_eval=1)]


def evaluate_behavior_offline(rew_min, rew_max, n_steps):
    return []


def train():
    observation = env.reset()
    done, total = False, 0.0
    while not done:
        observation, reward, done, _ = env.step(act(0.5, observation))
        total += reward
        statistics.total_ts += 1
        if statistics.total_ts % config["ts_evaluation"] == 0:
            evaluate(0.9)
            evaluate_behavior(0, 1, 1)
    statistics.episode += 1
    statistics.max_rew = max(statistics.max_rew, total)
    loss = (generator(torch.randn(1)) - total).pow(2).sum()
    optimize_generator.zero_grad()
    loss.backward()
    optimize_generator.step()
    if statistics.episode == int(os.environ.get("FAKE_SCRIPT_STOP_AT", 0)):
        os.kill(os.getpid(), signal.SIGTERM)
    if statistics.episode == int(os.environ.get("FAKE_SCRIPT_FAIL_AT", 0)):
        raise RuntimeError("killed")


while statistics.total_ts < config["max_timesteps"]:
    train()
"""
)


#: Their module of networks, buffers and statistics (a checkpoint pickles objects of its classes).
FAKE_CORE_MODULE = """
class Statistics:
    def __init__(self):
        self.total_ts = 0
        self.episode = 0
        self.max_rew = -float("inf")
"""


def _fake_checkout(folder: Path, noise: float = 0.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gogepo.py").write_text(FAKE_TRAINING_SCRIPT.replace("NOISE = 0.0", f"NOISE = {noise}"))
    (folder / "core_gogepo.py").write_text(FAKE_CORE_MODULE)
    return folder


def test_authors_script_writes_a_benchmark_run(tmp_path: Path) -> None:
    from benchmarks import authors_script
    from benchmarks.run import CSV_COLUMNS, final_return, read_meta, read_rows

    checkout = _fake_checkout(tmp_path / "checkout")
    results = tmp_path / "results"
    status = authors_script.run(checkout, "MountainCarContinuous-v0", 3, 1998, results, eval_freq=999)
    folder = results / "MountainCarContinuous-v0" / "authors" / "budget_1998" / "seed_3"
    assert status == "finished"
    rows = read_rows(folder / "evaluations.csv")
    assert (folder / "evaluations.csv").read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    assert [row["timesteps"] for row in rows] == [999, 1998] and all(row["std_return"] == 0 for row in rows)
    meta = read_meta(folder)
    assert meta["finished"] and meta["timesteps"] == 1998 and meta["episodes"] == 2 and meta["restarts"] == 0
    assert meta["final_return"] == final_return(rows) and meta["config"]["ts_evaluation"] == 999
    assert meta["seeding"]["test_env_first_reset"] == 3 + ENV_SEED_STRIDE
    assert meta["command_sweep_wall_clock_s"] >= 0 and meta["eval_wall_clock_s"] <= meta["wall_clock_s"]
    assert (folder / "training_episodes.csv").read_text().splitlines()[1:] == [
        f"1,999,{meta['best_training_return']!r},999",
        f"2,1998,{meta['best_training_return']!r},999",
    ]
    assert authors_script.run(checkout, "MountainCarContinuous-v0", 3, 1998, results, eval_freq=999) == "skipped"
    # An unfinished run starts again and is counted; the seeded run repeats its evaluations.
    (folder / "run.json").write_text('{"finished": false, "restarts": 0}')
    authors_script.run(checkout, "MountainCarContinuous-v0", 3, 1998, results, eval_freq=999)
    assert read_meta(folder)["restarts"] == 1

    def evaluations() -> list[tuple[float, float, float]]:
        return [(row["timesteps"], row["mean_return"], row["std_return"]) for row in read_rows(folder / "evaluations.csv")]

    assert evaluations() == [(row["timesteps"], row["mean_return"], row["std_return"]) for row in rows]


def test_authors_script_below_one_evaluation(tmp_path: Path) -> None:
    from benchmarks import authors_script
    from benchmarks.run import CSV_COLUMNS, read_meta

    _fake_checkout(tmp_path)
    assert authors_script.run(tmp_path, "MountainCarContinuous-v0", 0, 999, tmp_path / "results") == "finished"
    folder = tmp_path / "results" / "MountainCarContinuous-v0" / "authors" / "budget_999" / "seed_0"
    assert (folder / "evaluations.csv").read_text().splitlines() == [",".join(CSV_COLUMNS)]
    assert read_meta(folder)["final_return"] is None and read_meta(folder)["n_evaluations"] == 0


def _run_four_episodes(checkout: Path, results: Path, seed: int = 4, checkpoint_interval: float = 600.0) -> str:
    from benchmarks import authors_script

    return authors_script.run(
        checkout, "MountainCarContinuous-v0", seed, 4 * 999, results, eval_freq=999, checkpoint_interval=checkpoint_interval
    )


def _run_folder(results: Path, seed: int = 4) -> Path:
    return results / "MountainCarContinuous-v0" / "authors" / "budget_3996" / f"seed_{seed}"


def _evaluations(results: Path) -> list[list[str]]:
    """:return: Timesteps, mean and std of the returns of each evaluation (not the wall-clock)."""
    return [line.split(",")[:3] for line in (_run_folder(results) / "evaluations.csv").read_text().splitlines()]


def _assert_same_run(results: Path, reference: Path) -> None:
    from benchmarks.run import read_meta

    resumed, whole = read_meta(_run_folder(results)), read_meta(_run_folder(reference))
    assert resumed["finished"] and (resumed["timesteps"], resumed["episodes"], resumed["final_return"]) == (
        whole["timesteps"],
        whole["episodes"],
        whole["final_return"],
    )
    assert _evaluations(results) == _evaluations(reference) and len(_evaluations(reference)) == 5
    episodes = "training_episodes.csv"
    assert (_run_folder(results) / episodes).read_text() == (_run_folder(reference) / episodes).read_text()
    assert not (_run_folder(results) / "checkpoint").exists()  # a finished run's checkpoint is removed


def test_a_stopped_authors_run_resumes_from_its_checkpoint_as_if_never_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.authors_checkpoint import load_snapshot
    from benchmarks.run import read_meta

    checkout = _fake_checkout(tmp_path / "checkout", noise=0.3)
    assert _run_four_episodes(checkout, tmp_path / "whole") == "finished"
    monkeypatch.setenv("FAKE_SCRIPT_STOP_AT", "2")  # SIGTERM during the run: checkpoint after episode 2 and stop
    assert _run_four_episodes(checkout, tmp_path / "parts") == "stopped"
    stopped = read_meta(_run_folder(tmp_path / "parts"))
    assert not stopped["finished"] and stopped["timesteps"] == 2 * 999 and stopped["resumes"] == 0
    assert (_run_folder(tmp_path / "parts") / "checkpoint" / "authors_state.pt").is_file()
    snapshots = _run_folder(tmp_path / "parts") / "snapshots"
    assert sorted(path.name for path in snapshots.iterdir()) == ["authors_state_25.pt", "authors_state_50.pt"]
    monkeypatch.delenv("FAKE_SCRIPT_STOP_AT")
    assert _run_four_episodes(checkout, tmp_path / "parts") == "finished"
    _assert_same_run(tmp_path / "parts", tmp_path / "whole")
    # Snapshots at 25/50/75/100 % of the budget, as an uninterrupted run saves them.
    for percent, episodes in ((25, 1), (50, 2), (75, 3), (100, 4)):
        whole, parts = (
            load_snapshot(_run_folder(results) / "snapshots" / f"authors_state_{percent}.pt")
            for results in (tmp_path / "whole", tmp_path / "parts")
        )
        assert sorted(whole) == ["generator", "statistics"]  # the fake script has no actor-critic
        assert whole["statistics"].total_ts == parts["statistics"].total_ts == episodes * 999
        assert whole["statistics"].max_rew == parts["statistics"].max_rew
        assert whole["generator"].weight.item() == parts["generator"].weight.item()  # trained after every episode
    resumed = read_meta(_run_folder(tmp_path / "parts"))
    assert resumed["resumes"] == 1 and resumed["restarts"] == 0 and resumed["checkpoint_wall_clock_s"] >= 0
    # The noise reaches the returns: a run of another seed differs.
    assert _run_four_episodes(checkout, tmp_path / "other", seed=5) == "finished"
    assert read_meta(_run_folder(tmp_path / "other", seed=5))["final_return"] != resumed["final_return"]


def test_a_killed_authors_run_resumes_from_its_last_checkpoint_and_drops_what_came_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = _fake_checkout(tmp_path / "checkout", noise=0.3)
    assert _run_four_episodes(checkout, tmp_path / "whole") == "finished"
    # Checkpoints after every episode; the process dies at the end of episode 3, after its evaluation was written.
    monkeypatch.setenv("FAKE_SCRIPT_FAIL_AT", "3")
    with pytest.raises(RuntimeError, match="killed"):
        _run_four_episodes(checkout, tmp_path / "parts", checkpoint_interval=0)
    assert len(_evaluations(tmp_path / "parts")) == 1 + 3
    monkeypatch.delenv("FAKE_SCRIPT_FAIL_AT")
    assert _run_four_episodes(checkout, tmp_path / "parts", checkpoint_interval=0) == "finished"
    _assert_same_run(tmp_path / "parts", tmp_path / "whole")
    lines = (_run_folder(tmp_path / "parts") / "evaluations.csv").read_text().splitlines()[1:]
    wall_clock = [float(line.split(",")[3]) for line in lines]
    assert wall_clock == sorted(wall_clock)  # the resumed part continues the clock of the first


def test_an_authors_run_that_starts_again_drops_the_snapshots_and_caches_of_its_lost_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = _fake_checkout(tmp_path / "checkout", noise=0.3)
    monkeypatch.setenv("FAKE_SCRIPT_STOP_AT", "1")
    assert _run_four_episodes(checkout, tmp_path) == "stopped"
    shutil.rmtree(_run_folder(tmp_path) / "checkpoint")
    (_run_folder(tmp_path) / "snapshots" / "authors_state_75.pt").write_bytes(b"from the lost attempt")
    (_run_folder(tmp_path) / "noise_robustness.csv").write_text("of the lost attempt's snapshots")
    monkeypatch.setenv("FAKE_SCRIPT_STOP_AT", "2")
    assert _run_four_episodes(checkout, tmp_path) == "stopped"
    assert not (_run_folder(tmp_path) / "noise_robustness.csv").exists()
    assert sorted(path.name for path in (_run_folder(tmp_path) / "snapshots").iterdir()) == [
        "authors_state_25.pt",
        "authors_state_50.pt",
    ]


def test_a_resumed_authors_run_records_the_versions_and_device_of_its_latest_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.run import read_meta, versions, write_json

    checkout = _fake_checkout(tmp_path / "checkout")
    monkeypatch.setenv("FAKE_SCRIPT_STOP_AT", "2")
    assert _run_four_episodes(checkout, tmp_path) == "stopped"
    folder = _run_folder(tmp_path)
    # A first part of an older runner on a GPU: one device, no list.
    first_part = {**read_meta(folder), "device": "a GPU", "threads": 4, "versions": {"git_commit": "older"}}
    del first_part["devices"]
    write_json(folder / "run.json", first_part)
    monkeypatch.delenv("FAKE_SCRIPT_STOP_AT")
    assert _run_four_episodes(checkout, tmp_path) == "finished"
    meta = read_meta(folder)
    assert meta["device"] == "cpu" and meta["devices"] == ["a GPU", "cpu"] and meta["threads"] == 1
    assert meta["versions"]["git_commit"] == versions()["git_commit"] and meta["resumes"] == 1


def test_a_killed_authors_run_whose_checkpoint_is_lost_counts_its_restart_at_its_last_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.run import read_meta

    checkout = _fake_checkout(tmp_path / "checkout")
    monkeypatch.setenv("FAKE_SCRIPT_FAIL_AT", "3")  # killed: run.json never learns how far it got
    with pytest.raises(RuntimeError, match="killed"):
        _run_four_episodes(checkout, tmp_path, checkpoint_interval=0)
    shutil.rmtree(_run_folder(tmp_path) / "checkpoint")  # a new machine: only the committed files came
    monkeypatch.delenv("FAKE_SCRIPT_FAIL_AT")
    assert _run_four_episodes(checkout, tmp_path) == "finished"
    meta = read_meta(_run_folder(tmp_path))
    assert meta["restarts"] == 1 and meta["restarted_at_timesteps"] == [3 * 999] and meta["resumes"] == 0
    assert len(_evaluations(tmp_path)) == 1 + 4  # the header and this attempt's own evaluations


def test_an_authors_run_that_another_live_process_holds_is_left_alone(tmp_path: Path) -> None:
    checkout = _fake_checkout(tmp_path / "checkout")
    folder = _run_folder(tmp_path / "results", seed=0)
    folder.mkdir(parents=True)
    (folder / "lock").write_text(f"{socket.gethostname()} {os.getpid()}")  # this live process holds it
    assert _run_four_episodes(checkout, tmp_path / "results", seed=0) == "busy"
    assert not (folder / "run.json").exists()


def test_an_authors_run_resumes_only_with_its_evaluation_interval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import authors_script

    checkout = _fake_checkout(tmp_path / "checkout")
    monkeypatch.setenv("FAKE_SCRIPT_STOP_AT", "1")
    assert authors_script.run(checkout, "MountainCarContinuous-v0", 0, 3 * 999, tmp_path, eval_freq=999) == "stopped"
    monkeypatch.delenv("FAKE_SCRIPT_STOP_AT")
    with pytest.raises(ValueError, match="evaluates every 999 steps, not 500"):
        authors_script.run(checkout, "MountainCarContinuous-v0", 0, 3 * 999, tmp_path, eval_freq=500)


def test_a_script_without_train_cannot_be_checkpointed(tmp_path: Path) -> None:
    from benchmarks import authors_script

    checkout = _fake_checkout(tmp_path)
    script = (checkout / "gogepo.py").read_text().replace("def train():", "def train_episode():")
    (checkout / "gogepo.py").write_text(script.replace("    train()", "    train_episode()"))
    with pytest.raises(ValueError, match="no train\\(\\) function"):
        authors_script.run(checkout, "MountainCarContinuous-v0", 0, 999, tmp_path / "results")

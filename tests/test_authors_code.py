"""The gym shim and the two-part script runner used to run the authors' code (tested without their code)."""

import io
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
#: the command sweeps it times), a training and a test environment, evaluations every ``ts_evaluation`` steps.
FAKE_TRAINING_SCRIPT = (
    ARGUMENTS
    + """
config = dict(max_timesteps=10**9, ts_evaluation=10**9)
env = gym.make(args.env_name)
env_test = gym.make(args.env_name)


class Statistics:
    total_ts = 0
    episode = 0
    max_rew = -float("inf")


statistics = Statistics()


def evaluate(policy_params, log=True, n_eval=10):
    returns = []
    for _ in range(n_eval):
        env_test.reset()
        done, total = False, 0.0
        while not done:
            _, reward, done, _ = env_test.step(env_test.action_space.high * policy_params)
            total += reward
        returns.append(total)
    return sum(returns) / n_eval


def evaluate_behavior(rew_min, rew_max, n_steps):
    return [evaluate(0.0, log=False, n_eval=1)]


def evaluate_behavior_offline(rew_min, rew_max, n_steps):
    return []


while statistics.total_ts < config["max_timesteps"]:
    env.reset()
    done, total = False, 0.0
    while not done:
        _, reward, done, _ = env.step(env.action_space.high * 0.5)
        total += reward
        statistics.total_ts += 1
        if statistics.total_ts % config["ts_evaluation"] == 0:
            evaluate(0.9)
            evaluate_behavior(0, 1, 1)
    statistics.episode += 1
    statistics.max_rew = max(statistics.max_rew, total)
"""
)


def test_authors_script_writes_a_benchmark_run(tmp_path: Path) -> None:
    from benchmarks import authors_script
    from benchmarks.run import CSV_COLUMNS, final_return, read_meta, read_rows

    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "gogepo.py").write_text(FAKE_TRAINING_SCRIPT)
    (checkout / "core_gogepo.py").write_text("")
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

    (tmp_path / "gogepo.py").write_text(FAKE_TRAINING_SCRIPT)
    (tmp_path / "core_gogepo.py").write_text("")
    assert authors_script.run(tmp_path, "MountainCarContinuous-v0", 0, 999, tmp_path / "results") == "finished"
    folder = tmp_path / "results" / "MountainCarContinuous-v0" / "authors" / "budget_999" / "seed_0"
    assert (folder / "evaluations.csv").read_text().splitlines() == [",".join(CSV_COLUMNS)]
    assert read_meta(folder)["final_return"] is None and read_meta(folder)["n_evaluations"] == 0

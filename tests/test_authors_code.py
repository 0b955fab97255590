"""The gym shim and the two-part script runner used to run the authors' code (tested without their code)."""

import io
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from benchmarks.authors_code import ENV_SEED_STRIDE, AuthorsScript, install_gym_shim, recency_weights

#: A script shaped like theirs: arguments, config and environment at module level, then a top-level training loop.
FAKE_SCRIPT = """
import argparse
import gym
from gym.spaces import Box
parser = argparse.ArgumentParser()
parser.add_argument("--env_name")
parser.add_argument("--seed", type=int)
parser.add_argument("--use_gpu", type=int)
args = parser.parse_args()
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

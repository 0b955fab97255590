"""
Files saved by an earlier version of the package still load and act as they did: a model (with and without its policy
buffer) and a policy buffer, saved by version 0.1.0 before the redesign of issue 18, are kept in ``tests/data``.

Run this file as a script to write them again (only when their format changes on purpose).
"""

from pathlib import Path

import numpy as np
import torch as th
from stable_baselines3.common.env_util import make_vec_env
from torch import nn

from sb3_gogepo import GoGePo

DATA = Path(__file__).parent / "data"
MODEL = DATA / "gogepo_0.1.0_pendulum.zip"
MODEL_WITH_BUFFER = DATA / "gogepo_0.1.0_pendulum_with_buffer.zip"
BUFFER = DATA / "gogepo_0.1.0_pendulum_buffer.npz"
#: Observations and the actions the saved model took for them (with no command, and for the command -100).
EXPECTED = DATA / "gogepo_0.1.0_pendulum_actions.npz"


def _write() -> None:
    th.manual_seed(0)
    policy_kwargs = dict(
        net_arch=[4], activation_fn=nn.Tanh, slice_size=4, embedding_dim=2, hypernetwork_net_arch=[4],
        evaluator_net_arch=[4], n_probing_states=2, optimizer_kwargs=dict(fused=False),
    )  # fmt: skip
    model = GoGePo("MlpPolicy", make_vec_env("Pendulum-v1", n_envs=1, seed=0), buffer_size=8, batch_size=2,
                   n_evaluator_updates=1, n_generator_updates=1, policy_kwargs=policy_kwargs, seed=0)  # fmt: skip
    model.learn(600)
    model.save(MODEL)
    model.save(MODEL_WITH_BUFFER, include=["policy_buffer"])
    model.save_policy_buffer(BUFFER)
    observations = np.random.default_rng(0).uniform(-1, 1, (5, 3)).astype(np.float32)
    np.savez(
        EXPECTED,
        observations=observations,
        actions=model.predict(observations)[0],
        commanded_actions=model.predict(observations, command=-100.0)[0],
        buffer_returns=model.policy_buffer.ordered()[1].numpy(),  # type: ignore[union-attr]
    )


def test_a_model_saved_by_version_0_1_0_loads_and_acts_as_it_did() -> None:
    expected = np.load(EXPECTED)
    for path in (MODEL, MODEL_WITH_BUFFER):
        model = GoGePo.load(path, device="cpu")
        np.testing.assert_array_equal(model.predict(expected["observations"])[0], expected["actions"])
        commanded_actions = model.predict(expected["observations"], command=-100.0)[0]
        np.testing.assert_array_equal(commanded_actions, expected["commanded_actions"])
    assert model.policy_buffer is not None
    np.testing.assert_array_equal(model.policy_buffer.ordered()[1].numpy(), expected["buffer_returns"])


def test_a_policy_buffer_saved_by_version_0_1_0_loads() -> None:
    model = GoGePo.load(MODEL, env=make_vec_env("Pendulum-v1", n_envs=1, seed=0), device="cpu")
    model.load_policy_buffer(BUFFER)
    assert model.policy_buffer is not None
    np.testing.assert_array_equal(model.policy_buffer.ordered()[1].numpy(), np.load(EXPECTED)["buffer_returns"])
    model.learn(200, reset_num_timesteps=False)  # and training goes on from it


if __name__ == "__main__":
    _write()

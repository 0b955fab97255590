"""
Behaviour fingerprint: fixed seeds and tiny configurations train a few hundred steps of each kind, and the SHA-256 of
everything that training produces must not move.

The hashes cover the generator's, the evaluator's and the observation statistics' parameters (the policy's state
dict), both optimizers' states, the policy buffer (parameters and returns, oldest first), the commands and episode
counters, and evaluations after training (``evaluate_policy``, ``predict(command=)``, ``generate_policy`` and
``evaluate_commands``).

This test guards refactorings: it stays unchanged while the code is restructured. A deliberate change of behaviour
re-records the hashes in its own commit and says why. Every setting the configurations rely on is named here, so that
a default changing elsewhere does not move them.

Floating-point results depend on the torch build and the CPU's instruction set, so the hashes were recorded for one
torch version and per CPU capability (torch's kernel level), and the test is skipped under another.
"""

import hashlib
from typing import Any

import numpy as np
import pytest
import torch as th
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecNormalize, sync_envs_normalization
from torch import nn

from sb3_gogepo import GoGePo

#: The torch version under which the hashes below were recorded.
RECORDED_TORCH = "2.13"


def _policy_kwargs(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(
        net_arch=[8],
        activation_fn=nn.Tanh,
        slice_size=4,
        embedding_dim=4,
        hypernetwork_net_arch=[16],
        output_scaling=True,
        separate_bias_networks=True,
        evaluator_net_arch=[16],
        n_probing_states=8,
        command_scale=None,
        normalize_observations=True,
        optimizer_class=th.optim.Adam,
        optimizer_kwargs=dict(fused=False),
    )
    kwargs.update(overrides)
    return kwargs


def _model_kwargs(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = dict(
        learning_rate=1e-3,
        evaluator_learning_rate=5e-3,
        buffer_size=50,
        batch_size=4,
        noise_std=0.1,
        n_evaluator_updates=2,
        n_generator_updates=2,
        command_drive=20.0,
        initial_command=0.0,
        recency_exponent=1.1,
        alive_bonus_offset=0.0,
        buffer_dtype="float32",
        update_precision="float32",
        compile_updates=False,
        policy_kwargs=_policy_kwargs(),
        stats_window_size=100,
        seed=3,
        device="cpu",
    )
    kwargs.update(overrides)
    return kwargs


#: name: (env id, number of envs, VecNormalize, training steps, model keywords)
CASES: dict[str, tuple[str, int, bool, int, dict[str, Any]]] = {
    "box_one_env": ("Pendulum-v1", 1, False, 600, _model_kwargs()),
    "box_two_envs": ("Pendulum-v1", 2, False, 800, _model_kwargs()),
    "discrete_one_env": ("CartPole-v1", 1, False, 400, _model_kwargs()),
    "discrete_two_envs": ("CartPole-v1", 2, False, 400, _model_kwargs()),
    "box_vec_normalize": (
        "Pendulum-v1",
        2,
        True,
        800,
        _model_kwargs(policy_kwargs=_policy_kwargs(normalize_observations=False)),
    ),
    "box_auto_command_scale": (
        "Pendulum-v1",
        1,
        False,
        600,
        _model_kwargs(recency_exponent=0.0, policy_kwargs=_policy_kwargs(command_scale="auto")),
    ),
}

#: SHA-256 (first 16 hex digits) of each case, recorded with the code before the redesign (issue 18), and again when
#: the private oneDNN kernels were removed (torch's plain operations round differently: parameters moved by at most
#: 3.5e-6 of the largest one, buffer returns not at all), and again when the action head stopped saving its bounds
#: (``low``, ``half_range``; the old values, hashed without those two entries, are the new ones), and again when the
#: NumPy acting path began to subtract the observation mean instead of folding it into the first bias (float32 rounding
#: of the actions: the box cases' trained parameters moved by at most 2.1e-8 of the largest one, buffer returns by at
#: most 7.7e-8 of the largest one; the VecNormalize case keeps no statistics of its own, and the discrete cases' actions,
#: an argmax, came out the same).
#: By torch's CPU capability (its kernels differ in rounding): AVX512 recorded on the Intel Xeon machines of the
#: sessions up to 2026-12-07; AVX2 on the AMD EPYC of 2026-12-07, where the code of 80c43ed (before that day's fixes)
#: and of the day's last commit gave the same hashes.
RECORDED: dict[str, dict[str, str]] = {
    "AVX512": {
        "box_auto_command_scale": "6e4d493743119277",
        "box_one_env": "9dd91ea7b7d90455",
        "box_two_envs": "9db412f20fab6015",
        "box_vec_normalize": "57f591573bf4da5e",
        "discrete_one_env": "bef0f784f3dd7d60",
        "discrete_two_envs": "70c01aa03b10f444",
    },
    "AVX2": {
        "box_auto_command_scale": "e61ff4c7b20f626a",
        "box_one_env": "52877e3d1d2aee38",
        "box_two_envs": "ee78421e8fc3004f",
        "box_vec_normalize": "c5ad43760bc0dc8d",
        "discrete_one_env": "705ee5850fe0e34f",
        "discrete_two_envs": "411105db79a39308",
    },
}
CPU_CAPABILITY = th.backends.cpu.get_cpu_capability()


def _vec_env(env_id: str, n_envs: int, vec_normalize: bool, seed: int) -> Any:
    env = make_vec_env(env_id, n_envs=n_envs, seed=seed)
    return VecNormalize(env, norm_obs=True, norm_reward=False) if vec_normalize else env


def _update(digest: Any, value: Any) -> None:
    if isinstance(value, th.Tensor):
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    elif isinstance(value, np.ndarray):
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            digest.update(str(key).encode())
            _update(digest, value[key])
    elif isinstance(value, (list, tuple)):
        for item in value:
            _update(digest, item)
    else:
        digest.update(repr(value).encode())


def fingerprint(case: str) -> str:
    """Train the case's model from its seed and hash what it produced."""
    env_id, n_envs, vec_normalize, steps, kwargs = CASES[case]
    th.manual_seed(0)
    model = GoGePo("MlpPolicy", _vec_env(env_id, n_envs, vec_normalize, seed=kwargs["seed"]), **kwargs)
    model.learn(steps)
    digest = hashlib.sha256()
    _update(digest, model.policy.state_dict())
    _update(digest, model.policy.generator_optimizer.state_dict()["state"])
    _update(digest, model.policy.evaluator_optimizer.state_dict()["state"])
    assert model.policy_buffer is not None
    _update(digest, model.policy_buffer.ordered())
    _update(digest, (model.command, model._episode_num, model.num_timesteps, model.last_training_return))

    eval_env = _vec_env(env_id, 1, vec_normalize, seed=11)
    if vec_normalize:
        training_env = model.get_env()
        assert training_env is not None
        sync_envs_normalization(training_env, eval_env)
        eval_env.training = False
    returns, lengths = evaluate_policy(model, eval_env, n_eval_episodes=2, return_episode_rewards=True, warn=False)
    _update(digest, (returns, lengths))
    observations = eval_env.reset()
    _update(digest, model.predict(observations)[0])
    _update(digest, model.predict(observations, command=-50.0)[0])
    # generate_policy builds a VecNormalize step in (for raw observations: test_acting); the policy's own export takes
    # the normalised observations of eval_env, as generate_policy's did when these hashes were recorded.
    exported = model.policy.export(-50.0) if vec_normalize else model.generate_policy(-50.0)
    _update(digest, exported.state_dict())
    _update(digest, exported(th.as_tensor(observations)))
    if not vec_normalize:
        _update(digest, model.evaluate_commands(make_vec_env(env_id, n_envs=1, seed=12), [-100.0, 0.0], n_eval_episodes=1))
    return digest.hexdigest()[:16]


@pytest.mark.skipif(not th.__version__.startswith(RECORDED_TORCH), reason=f"hashes recorded under torch {RECORDED_TORCH}")
@pytest.mark.skipif(CPU_CAPABILITY not in RECORDED, reason=f"no hashes recorded for the CPU capability {CPU_CAPABILITY}")
@pytest.mark.parametrize("case", sorted(CASES))
def test_training_reproduces_the_recorded_fingerprint(case: str) -> None:
    assert fingerprint(case) == RECORDED[CPU_CAPABILITY][case]


def test_the_recorded_fingerprints_cover_every_case() -> None:
    assert all(sorted(hashes) == sorted(CASES) for hashes in RECORDED.values())


if __name__ == "__main__":  # print the hashes, to record them
    for name in sorted(CASES):
        print(f'    "{name}": "{fingerprint(name)}",')

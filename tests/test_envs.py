import warnings

import gymnasium as gym
import pytest
from stable_baselines3.common.env_util import make_vec_env

import sb3_gogepo
from sb3_gogepo.envs import LegacyMujocoIdWarning, survival_bonus


@pytest.mark.parametrize(
    "legacy_id, modern_id",
    [("Hopper-v3", "Hopper-v4"), ("Swimmer-v3", "Swimmer-v4"), ("InvertedPendulum-v2", "InvertedPendulum-v4")],
)
def test_paper_ids_resolve_to_their_v4_implementation(legacy_id: str, modern_id: str) -> None:
    assert legacy_id in sb3_gogepo.LEGACY_ENV_IDS
    legacy, modern = gym.make(legacy_id), gym.make(modern_id)
    assert type(legacy.unwrapped) is type(modern.unwrapped)
    assert legacy.spec is not None and modern.spec is not None
    assert legacy.spec.max_episode_steps == modern.spec.max_episode_steps == 1000
    assert legacy.observation_space == modern.observation_space
    obs_legacy, _ = legacy.reset(seed=3)
    obs_modern, _ = modern.reset(seed=3)
    assert (obs_legacy == obs_modern).all()


@pytest.mark.parametrize("legacy_id", ["Ant-v2", "Ant-v3"])
def test_legacy_ant_keeps_the_contact_forces_its_mujoco_py_version_had(legacy_id: str) -> None:
    # v4's default drops them (27 observations, no contact cost); the mujoco-py Ant had 111 observations.
    legacy, modern = gym.make(legacy_id), gym.make("Ant-v4", use_contact_forces=True)
    assert legacy.observation_space == modern.observation_space and legacy.observation_space.shape == (111,)
    assert gym.make(legacy_id, use_contact_forces=False).observation_space.shape == (27,)  # still overridable


def test_legacy_id_warns_once_with_the_reason() -> None:
    sb3_gogepo.envs._warned.discard("Walker2d-v3")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym.make("Walker2d-v3")
        gym.make("Walker2d-v3")
    ours = [w for w in caught if issubclass(w.category, LegacyMujocoIdWarning)]
    assert len(ours) == 1
    assert "mujoco-py" in str(ours[0].message) and "Walker2d-v4" in str(ours[0].message)


def test_ids_that_work_are_left_untouched() -> None:
    assert "Hopper-v4" not in sb3_gogepo.LEGACY_ENV_IDS
    assert "MountainCarContinuous-v0" not in sb3_gogepo.LEGACY_ENV_IDS
    assert gym.envs.registry["Hopper-v4"].entry_point == "gymnasium.envs.mujoco.hopper_v4:HopperEnv"


@pytest.mark.parametrize(
    "env_id, bonus",
    [
        ("Hopper-v3", 1.0),
        ("Walker2d-v4", 1.0),
        ("Ant-v4", 1.0),
        ("Humanoid-v4", 5.0),
        ("Swimmer-v3", 0.0),
        ("InvertedPendulum-v4", 0.0),
        ("Pendulum-v1", 0.0),
    ],
)
def test_survival_bonus_of_each_task(env_id: str, bonus: float) -> None:
    assert survival_bonus(make_vec_env(env_id)) == bonus


def test_survival_bonus_follows_a_custom_healthy_reward() -> None:
    assert survival_bonus(make_vec_env("Hopper-v4", env_kwargs=dict(healthy_reward=2.5))) == 2.5


def test_the_module_prefix_serves_the_papers_ids_in_processes_that_did_not_import_the_package() -> None:
    import subprocess
    import sys

    code = "import gymnasium as gym; print(gym.make('sb3_gogepo:Hopper-v3').observation_space.shape)"
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "(11,)"

"""rl-zoo3 integration: the launchers, the YAML files of GoGePo and of the paper's baselines, the Optuna sampler."""

import argparse
import csv
import inspect
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import optuna
import pytest
import torch as th
import yaml
from sb3_contrib import ARS
from stable_baselines3 import DDPG
from stable_baselines3.common.running_mean_std import RunningMeanStd
from stable_baselines3.common.vec_env import VecNormalize

from sb3_gogepo import GoGePo
from sb3_gogepo.callbacks import SWEEP_CSV, CommandSweepCallback
from sb3_gogepo.enjoy import main as enjoy
from sb3_gogepo.train import check_counts, with_default_config
from sb3_gogepo.train import main as train
from sb3_gogepo.zoo import (
    HYPERPARAMS_DIR,
    NET_ARCHS,
    POLICY_BUFFER_FILE,
    GoGePoExperimentManager,
    SpinningUpDDPG,
    convert_gogepo_params,
    default_config,
    register,
    sample_gogepo_params,
)
from sb3_gogepo.zoo.sampler import ENTRY_POLICY_KWARGS
from tests.conftest import small_kwargs

th.set_num_threads(1)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

ROOT = Path(__file__).resolve().parent.parent
CLASSES = {"gogepo": GoGePo, "ars": ARS, "ddpg": SpinningUpDDPG}
PAPER_ENVS = [
    "Swimmer-v3",
    "Swimmer-v4",
    "Hopper-v3",
    "Hopper-v4",
    "InvertedPendulum-v2",
    "InvertedPendulum-v4",
    "MountainCarContinuous-v0",
]
#: Keys the zoo consumes itself; every other key of an entry is a constructor argument.
ZOO_KEYS = {"n_timesteps", "policy", "n_envs", "normalize", "callback", "noise_type", "env_wrapper", "frame_stack"}
MOUNTAIN_CAR = "MountainCarContinuous-v0"
TINY_GOGEPO = "policy_kwargs:dict(net_arch=[8], hypernetwork_net_arch=[16], evaluator_net_arch=[16], n_probing_states=4)"


def load_yaml(algo: str) -> dict[str, dict[str, Any]]:
    with open(ROOT / "hyperparams" / f"{algo}.yml") as file:
        return yaml.safe_load(file)


def entries() -> list[tuple[str, str]]:
    return [(algo, env_id) for algo in CLASSES for env_id in load_yaml(algo)]


def manager(algo: str, env_id: str, folder: Path, **hyperparams: Any) -> GoGePoExperimentManager:
    register()
    return GoGePoExperimentManager(
        argparse.Namespace(algo=algo, env=env_id),
        algo,
        env_id,
        str(folder),
        eval_freq=-1,
        hyperparams=hyperparams or None,
        seed=0,
        verbose=0,
        device="cpu",
        config=str(ROOT / "hyperparams" / f"{algo}.yml"),
    )


# ---------------------------------------------------------------------- the YAML files


@pytest.mark.parametrize(("algo", "entry"), entries())
def test_every_yaml_entry_constructs_a_model(algo: str, entry: str, tmp_path: Path) -> None:
    env_id = "Pendulum-v1" if entry == "default" else entry
    hyperparams = load_yaml(algo)[entry]
    assert {"n_timesteps", "policy"} <= set(hyperparams)
    signature = set(inspect.signature(CLASSES[algo]).parameters) | set(inspect.signature(DDPG).parameters)
    zoo_keys = ZOO_KEYS | ({"noise_std"} if "noise_type" in hyperparams else set())  # the zoo's action noise
    assert set(hyperparams) - zoo_keys <= signature

    experiment = manager(algo, env_id, tmp_path)
    model, _ = experiment.setup_experiment()  # type: ignore[misc]
    try:
        assert type(model) is CLASSES[algo]
        assert experiment.n_timesteps == int(hyperparams["n_timesteps"])
    finally:
        assert model.env is not None
        model.env.close()
        for callback in experiment.callbacks:
            if isinstance(callback, CommandSweepCallback) and callback.eval_env is not None:
                callback.eval_env.close()  # type: ignore[union-attr]


def test_yaml_budgets_and_entries() -> None:
    for algo in CLASSES:
        config = load_yaml(algo)
        assert set(config) == {"default", *PAPER_ENVS}
        for env_id in PAPER_ENVS:
            expected = 3_000_000 if env_id.startswith(("Swimmer", "Hopper")) else 100_000
            assert config[env_id]["n_timesteps"] == expected, (algo, env_id)


def test_gogepo_yaml_holds_the_paper_settings() -> None:
    config = load_yaml("gogepo")
    for env_id in ["default", *PAPER_ENVS]:
        entry = config[env_id]
        assert entry["policy"] == "MlpPolicy" and entry["normalize"] is False
        assert entry["learning_rate"] == 2e-6 and entry["evaluator_learning_rate"] == 5e-3
        assert (entry["buffer_size"], entry["batch_size"], entry["noise_std"]) == (10_000, 16, 0.1)
        assert (entry["n_evaluator_updates"], entry["n_generator_updates"], entry["command_drive"]) == (5, 20, 20.0)
        assert entry["recency_exponent"] == 1.1
        policy_kwargs = eval(entry["policy_kwargs"], {"nn": th.nn})
        assert policy_kwargs["net_arch"] == [256, 256] and policy_kwargs["activation_fn"] is th.nn.Tanh
        assert policy_kwargs["n_probing_states"] == 200 and policy_kwargs["slice_size"] == 16
    assert config["Hopper-v3"]["alive_bonus_offset"] == -1.0
    assert config["Swimmer-v3"]["alive_bonus_offset"] is None


def test_gogepo_yaml_divides_the_papers_commands_by_their_return_ranges() -> None:
    # The authors' per-task return range (rew_max - rew_min of their configs); unlisted environments keep symlog.
    ranges = {"Swimmer": 465.0, "Hopper": 3100.0, "InvertedPendulum": 1000.0, "MountainCarContinuous": 200.0}
    config = load_yaml("gogepo")
    for env_id in PAPER_ENVS:
        policy_kwargs = eval(config[env_id]["policy_kwargs"], {"nn": th.nn})
        assert policy_kwargs["command_scale"] == ranges[env_id.split("-")[0]], env_id
    assert "command_scale" not in eval(config["default"]["policy_kwargs"], {"nn": th.nn})


def test_ars_yaml_holds_the_paper_settings() -> None:
    config = load_yaml("ars")
    tuned = {  # step size, directions, elite directions, exploration noise (paper, Appendix A.1)
        "Swimmer": (0.01, 8, 4, 0.05),
        "Hopper": (0.01, 8, 4, 0.05),
        "InvertedPendulum": (0.001, 1, 1, 0.025),
        "MountainCarContinuous": (0.01, 1, 1, 0.05),
    }
    for env_id in PAPER_ENVS:
        entry = config[env_id]
        values = (entry["learning_rate"], entry["n_delta"], entry["n_top"], entry["delta_std"])
        assert values == tuned[env_id.split("-")[0]], env_id
        assert entry["policy"] == "MlpPolicy"
        assert eval(entry["policy_kwargs"], {"nn": th.nn}) == dict(net_arch=[256, 256], activation_fn=th.nn.Tanh)
        assert eval(entry["normalize"]) == dict(norm_obs=True, norm_reward=False)
        assert entry["alive_bonus_offset"] == (-1 if env_id.startswith("Hopper") else 0)


def test_ddpg_yaml_holds_the_paper_settings() -> None:
    config = load_yaml("ddpg")
    for env_id in ["default", *PAPER_ENVS]:
        entry = config[env_id]
        assert eval(entry["policy_kwargs"], {"nn": th.nn}) == dict(net_arch=[256, 256], activation_fn=th.nn.ReLU)
        expected = dict(learning_rate=1e-3, batch_size=128, buffer_size=100_000, gamma=0.99, tau=0.005)
        assert {key: entry[key] for key in expected} == expected
        assert entry["noise_type"] == "normal"
        assert (entry["random_start_steps"], entry["learning_starts"]) == (10_000, 1_000)
        assert (entry["train_freq"], entry["gradient_steps"]) == (50, 50)
        assert entry.get("normalize", False) is False


@pytest.mark.parametrize("env_id", PAPER_ENVS)
def test_ddpg_exploration_noise_is_spinning_ups_in_action_units(env_id: str) -> None:
    # Spinning Up adds noise of std 0.1 to the action; SB3 adds noise_std to the action scaled to [-1, 1].
    env = gym.make(env_id)
    action_space: Any = env.action_space
    half_range = (action_space.high - action_space.low) / 2
    env.close()
    assert np.allclose(load_yaml("ddpg")[env_id]["noise_std"] * half_range, 0.1, rtol=1e-6)


def test_default_config_is_this_projects_yaml() -> None:
    assert HYPERPARAMS_DIR == ROOT / "hyperparams"
    for algo in CLASSES:
        assert default_config(algo) == str(ROOT / "hyperparams" / f"{algo}.yml")
    assert default_config("ppo") is None
    argv = with_default_config(["--algo", "gogepo", "--env", "Hopper-v3"])
    assert argv[-2:] == ["--conf-file", str(ROOT / "hyperparams" / "gogepo.yml")]
    assert with_default_config(["--algo", "ars", "-conf", "x.yml"]) == ["--algo", "ars", "-conf", "x.yml"]
    assert with_default_config(["--algo", "ppo"]) == ["--algo", "ppo"]


# ---------------------------------------------------------------------- the launchers


def run_folder(logs: Path, algo: str, env_id: str) -> Path:
    return logs / algo / f"{env_id}_1"


def test_train_and_enjoy_gogepo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs, tensorboard = tmp_path / "logs", tmp_path / "tb"
    sweep = "callback:[{'sb3_gogepo.callbacks.CommandSweepCallback': dict(eval_freq=600, n_commands=3, n_eval_episodes=2)}]"
    train(
        [
            "--algo", "gogepo", "--env", "InvertedPendulum-v2", "-conf", str(ROOT / "hyperparams" / "gogepo.yml"),
            "-n", "1200", "--seed", "1", "--num-threads", "1", "-f", str(logs), "-tb", str(tensorboard),
            "--eval-freq", "600", "--eval-episodes", "2", "--save-freq", "600", "--log-interval", "20",
            "--hyperparams", TINY_GOGEPO, "n_evaluator_updates:1", "n_generator_updates:4", sweep,
        ]
    )  # fmt: skip
    folder = run_folder(logs, "gogepo", "InvertedPendulum-v2")
    for name in ["InvertedPendulum-v2.zip", "best_model.zip", "evaluations.npz", "rl_model_600_steps.zip", SWEEP_CSV]:
        assert (folder / name).is_file(), name
    assert list((tensorboard / "InvertedPendulum-v2").glob("GoGePo_1/events.out.tfevents.*"))
    evaluations = np.load(folder / "evaluations.npz")
    assert list(evaluations["timesteps"]) == [600, 1200]
    with open(folder / SWEEP_CSV) as file:
        rows = list(csv.DictReader(file))
    # at 600 and 1200 steps (and once more at 1200 if an episode, so training, ended at the last step)
    assert [int(row["timesteps"]) for row in rows[:6]] == [600] * 3 + [1200] * 3 and len(rows) in (6, 9)
    config = yaml.load((folder / "InvertedPendulum-v2" / "config.yml").read_text(), Loader=yaml.UnsafeLoader)
    assert config["learning_rate"] == 2e-6 and config["policy_kwargs"]["net_arch"] == [8]

    model = GoGePo.load(folder / "InvertedPendulum-v2.zip")
    assert model.policy.net_arch == [8] and model.num_timesteps == 1200
    capsys.readouterr()

    enjoy(["--algo", "gogepo", "--env", "InvertedPendulum-v2", "-f", str(logs), "--no-render", "-n", "300", "--seed", "0"])
    output = capsys.readouterr().out
    assert "Mean reward:" in output

    lowest = float(rows[0]["command"])
    # --command given twice: the last counts, as in argparse (the zoo's parser got the second one, and refused it).
    enjoy(["--command", "0", "--algo", "gogepo", "--env", "InvertedPendulum-v2", "-f", str(logs), "--no-render", "-n",
           "300", "--load-best", "--command", str(lowest)])  # fmt: skip
    output = capsys.readouterr().out
    assert f"generated for a return of {lowest}" in output and "Mean reward:" in output


def test_continue_gogepo_with_its_policy_buffer(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    common = ["--algo", "gogepo", "--env", "Pendulum-v1", "-n", "400", "--num-threads", "1", "-f", str(logs),
              "--eval-freq", "-1", "--hyperparams", TINY_GOGEPO, "n_evaluator_updates:1", "n_generator_updates:1"]  # fmt: skip
    train([*common, "--seed", "1", "--save-replay-buffer"])
    first = run_folder(logs, "gogepo", "Pendulum-v1")
    assert (first / POLICY_BUFFER_FILE).is_file()
    assert not (first / "replay_buffer.pkl").exists()  # the zoo's own copy of the buffer would be a second one
    train([*common, "--seed", "2", "-i", str(first / "Pendulum-v1.zip"), "--save-replay-buffer"])
    second = logs / "gogepo" / "Pendulum-v1_2"
    with np.load(second / POLICY_BUFFER_FILE) as data:
        assert len(data["returns"]) == 4  # 2 episodes of 200 steps in each run
    with np.load(first / POLICY_BUFFER_FILE) as data:
        assert len(data["returns"]) == 2
    assert GoGePo.load(second / "Pendulum-v1.zip").alive_bonus_offset is None  # the YAML's null: for the env in use


def test_a_run_killed_after_a_checkpoint_continues_from_it_with_its_policy_buffer(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    common = ["--algo", "gogepo", "--env", "Pendulum-v1", "-n", "400", "--num-threads", "1", "-f", str(logs),
              "--eval-freq", "-1", "--hyperparams", TINY_GOGEPO, "n_evaluator_updates:1", "n_generator_updates:1",
              "--save-replay-buffer"]  # fmt: skip
    train([*common, "--seed", "1", "--save-freq", "300"])
    first = run_folder(logs, "gogepo", "Pendulum-v1")
    for name in ("Pendulum-v1.zip", POLICY_BUFFER_FILE):  # killed after the checkpoint: no final model, no final buffer
        (first / name).unlink()
    with np.load(first / "rl_model_policy_buffer_300_steps.npz") as data:
        assert len(data["returns"]) == 1  # the episode that ended at 200 steps
    train([*common, "--seed", "2", "-i", str(first / "rl_model_300_steps.zip")])
    with np.load(logs / "gogepo" / "Pendulum-v1_2" / POLICY_BUFFER_FILE) as data:
        assert len(data["returns"]) == 3  # the checkpoint's episode and 2 new ones


def test_continuing_a_gogepo_run_without_its_policy_buffer_says_so(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    common = ["--algo", "gogepo", "--env", "Pendulum-v1", "-n", "300", "--num-threads", "1", "-f", str(logs),
              "--eval-freq", "-1", "--hyperparams", TINY_GOGEPO]  # fmt: skip
    train([*common, "--seed", "1", "--save-freq", "300"])  # without --save-replay-buffer
    checkpoint = run_folder(logs, "gogepo", "Pendulum-v1") / "rl_model_300_steps.zip"
    with pytest.warns(UserWarning, match=r"empty policy buffer.*--save-replay-buffer"):
        train([*common, "--seed", "2", "-i", str(checkpoint)])


def test_continuing_the_best_model_does_not_load_the_final_models_policy_buffer(tmp_path: Path) -> None:
    # -i best_model.zip loaded the run's policy_buffer.npz, saved with the final model: episodes from after the best
    # model, which has no buffer of its own.
    logs = tmp_path / "logs"
    common = ["--algo", "gogepo", "--env", "Pendulum-v1", "-n", "400", "--num-threads", "1", "-f", str(logs),
              "--save-replay-buffer", "--hyperparams", TINY_GOGEPO, "n_evaluator_updates:1",
              "n_generator_updates:1"]  # fmt: skip
    train([*common, "--seed", "1", "--eval-freq", "200", "--eval-episodes", "1"])
    first = run_folder(logs, "gogepo", "Pendulum-v1")
    assert (first / "best_model.zip").is_file() and (first / POLICY_BUFFER_FILE).is_file()
    with pytest.warns(UserWarning, match=r"empty policy buffer: no buffer is saved with the best model"):
        train([*common, "--seed", "2", "--eval-freq", "-1", "-i", str(first / "best_model.zip")])
    with np.load(logs / "gogepo" / "Pendulum-v1_2" / POLICY_BUFFER_FILE) as data:
        assert len(data["returns"]) == 2  # the new run's 2 episodes of 200 steps only


@pytest.mark.parametrize("saved, algo", [("ars", "gogepo"), ("gogepo", "ars"), ("gogepo", "ddpg")])
def test_continuing_a_model_of_another_algorithm_is_refused_naming_its_policy(saved: str, algo: str, tmp_path: Path) -> None:
    # Before: "policy must be one of ['MlpPolicy']", a KeyError 'policy.optimizer', or an AttributeError 'actor'.
    models = {"ars": lambda: ARS("LinearPolicy", "Pendulum-v1"), "gogepo": lambda: GoGePo("Pendulum-v1", **small_kwargs())}
    path = tmp_path / "model.zip"
    models[saved]().save(path)
    with pytest.raises(ValueError, match=f"holds a model with the policy .*, which .* \\(--algo {algo}\\) does not take"):
        train(["--algo", algo, "--env", "Pendulum-v1", "-i", str(path), "-n", "10", "-f", str(tmp_path / "logs"),
               "--eval-freq", "-1", "--num-threads", "1"])  # fmt: skip


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["-n", "0"], "-n/--n-timesteps: a positive number of steps, or -1"),  # trained the YAML's 1M steps
        (["-n", "-5"], "-n/--n-timesteps: a positive number of steps, or -1"),
        (["--eval-episodes", "0"], "--eval-episodes: must be a positive integer"),  # NaN evaluations
        (["--n-eval-envs", "0"], "--n-eval-envs: must be a positive integer"),  # an IndexError in DummyVecEnv
    ],
)
def test_counts_the_zoo_would_ignore_or_fail_on_later_are_refused_first(
    arguments: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        train(["--algo", "gogepo", "--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), *arguments])
    assert message in capsys.readouterr().err
    assert not (tmp_path / "logs").exists()


def test_evaluation_counts_are_not_checked_where_the_zoo_does_not_evaluate(capsys: pytest.CaptureFixture[str]) -> None:
    check_counts(["--eval-freq", "-1", "--n-eval-envs", "0", "--eval-episodes", "0"])
    with pytest.raises(SystemExit):
        check_counts(["-optimize", "--eval-freq", "-1", "--eval-episodes", "0"])
    assert "--eval-episodes: must be a positive integer" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            ["-n", "10", "--hyperparams", "n_envs:0"],
            "n_envs must be a positive integer, got 0",
        ),  # an IndexError in DummyVecEnv
        (["--hyperparams", "n_timesteps:'1e6'"], r"n_timesteps must be .* \(YAML reads 1e6 as a string"),  # int() failed
        (["--hyperparams", "n_timesteps:float('nan')"], "n_timesteps must be a positive number of steps, got nan"),
        (["-n", "10", "--hyperparams", "policy:None"], "policy must be a policy's name"),  # "NoneType is not iterable"
    ],
)
def test_yaml_entries_the_zoo_fails_on_inside_are_refused_naming_them(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=message):
        train(["--algo", "gogepo", "--env", "Pendulum-v1", "-f", str(tmp_path / "logs"), "--eval-freq", "-1", *arguments])


def test_train_ars_from_yaml_with_paper_ids(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    train(
        [
            "--algo", "ars", "--env", "Hopper-v3", "-conf", str(ROOT / "hyperparams" / "ars.yml"), "-n", "1500",
            "--seed", "1", "--num-threads", "1", "-f", str(logs), "--eval-freq", "750", "--eval-episodes", "1",
            "--hyperparams", "policy_kwargs:dict(net_arch=[8], activation_fn=nn.Tanh)",
        ]
    )  # fmt: skip
    folder = run_folder(logs, "ars", "Hopper-v3")
    model = ARS.load(folder / "Hopper-v3.zip")
    assert (model.n_delta, model.n_top, model.alive_bonus_offset) == (8, 4, -1)
    assert model.num_timesteps >= 1500
    with open(folder / "Hopper-v3" / "vecnormalize.pkl", "rb") as file:
        stats = pickle.load(file)
    assert isinstance(stats, VecNormalize) and stats.norm_obs and not stats.norm_reward
    assert isinstance(stats.obs_rms, RunningMeanStd) and stats.obs_rms.count > 1000
    assert (folder / "evaluations.npz").is_file()


def test_train_ddpg_from_yaml(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    train(
        [
            "--algo", "ddpg", "--env", "InvertedPendulum-v2", "-conf", str(ROOT / "hyperparams" / "ddpg.yml"),
            "-n", "1200", "--seed", "1", "--num-threads", "1", "-f", str(logs), "--eval-freq", "-1",
            "--hyperparams", "policy_kwargs:dict(net_arch=[8])",
        ]
    )  # fmt: skip
    model = SpinningUpDDPG.load(run_folder(logs, "ddpg", "InvertedPendulum-v2") / "InvertedPendulum-v2.zip")
    assert (model.random_start_steps, model.learning_starts, model.batch_size) == (10_000, 1_000, 128)
    train_freq: Any = model.train_freq
    assert (train_freq.frequency, model.gradient_steps, model.tau, model.gamma) == (50, 50, 0.005, 0.99)
    assert model._n_updates == 200  # learning from step 1000 on: 50 gradient steps at 1050, ..., 1200
    assert model.action_noise is not None


def test_spinning_up_random_start_steps() -> None:
    model = SpinningUpDDPG("MlpPolicy", "Pendulum-v1", learning_starts=10, random_start_steps=100, seed=0,
                           policy_kwargs=dict(net_arch=[8]))  # fmt: skip
    model.learn(20)
    model.num_timesteps = 50
    random_actions = np.array([model._sample_action(model.learning_starts)[0] for _ in range(20)])
    assert np.std(random_actions) > 0.1  # uniform in [-2, 2], not the (constant) deterministic policy
    model.num_timesteps = 150
    policy_actions = np.array([model._sample_action(model.learning_starts)[0] for _ in range(5)])
    assert np.allclose(policy_actions, policy_actions[0])
    with pytest.raises(ValueError, match="random_start_steps"):
        SpinningUpDDPG("MlpPolicy", "Pendulum-v1", random_start_steps=-1)


def test_train_gogepo_with_subproc_vec_env_and_paper_id(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    train(
        [
            "--algo", "gogepo", "--env", "Hopper-v3", "-conf", str(ROOT / "hyperparams" / "gogepo.yml"),
            "-n", "400", "--seed", "1", "--num-threads", "1", "-f", str(logs), "--eval-freq", "400",
            "--eval-episodes", "1", "--vec-env", "subproc", "--hyperparams", TINY_GOGEPO, "n_envs:2", "callback:None",
        ]
    )  # fmt: skip
    folder = run_folder(logs, "gogepo", "Hopper-v3")
    model = GoGePo.load(folder / "Hopper-v3.zip")
    assert model.alive_bonus_offset == -1.0 and model.num_timesteps >= 400
    assert list(np.load(folder / "evaluations.npz")["timesteps"]) == [400]


def test_optimize_gogepo(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    train(
        [
            "--algo", "gogepo", "--env", "Pendulum-v1", "-conf", str(ROOT / "hyperparams" / "gogepo.yml"), "-optimize",
            "--n-trials", "1", "-n", "400", "--n-evaluations", "1", "--eval-episodes", "1", "--no-optim-plots",
            "--sampler", "random", "--pruner", "none", "--seed", "0", "--num-threads", "1", "-f", str(logs),
        ]
    )  # fmt: skip
    reports = list((logs / "gogepo").glob("report_Pendulum-v1_1-trials-400-random-none_*.csv"))
    assert len(reports) == 1
    text = reports[0].read_text()
    assert "params_noise_std" in text and "params_evaluator_learning_rate" in text and "COMPLETE" in text


def test_a_searched_or_loaded_trial_keeps_the_yaml_entrys_command_scale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # -optimize samples network sizes into policy_kwargs; they join the entry's (MountainCar: command_scale=200), and
    # so do those of a trial loaded with --trial-id, whose model is saved.
    from sb3_gogepo.policies import GoGePoPolicy

    built: list[Any] = []
    init = GoGePoPolicy.__init__

    def recording_init(self: GoGePoPolicy, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        built.append((self.command_scale, self.net_arch))

    monkeypatch.setattr(GoGePoPolicy, "__init__", recording_init)
    logs, storage = tmp_path / "logs", tmp_path / "study.log"
    common = [
        "--algo",
        "gogepo",
        "--env",
        MOUNTAIN_CAR,
        "-conf",
        str(ROOT / "hyperparams" / "gogepo.yml"),
        "-n",
        "400",
        "--seed",
        "0",
        "--num-threads",
        "1",
        "-f",
        str(logs),
        "--storage",
        str(storage),
        "--study-name",
        "scale",
    ]
    train([*common, "-optimize", "--n-trials", "2", "--n-evaluations", "1", "--eval-episodes", "1", "--no-optim-plots",
           "--sampler", "random", "--pruner", "none"])  # fmt: skip
    assert [scale for scale, _ in built] == [200.0, 200.0]
    # Trial 1: the zoo loads no trial for --trial-id 0 (it tests the id for truth).
    train([*common, "--trial-id", "1", "--eval-freq", "-1", "--hyperparams", "callback:None"])
    policy = GoGePo.load(logs / "gogepo" / f"{MOUNTAIN_CAR}_2" / f"{MOUNTAIN_CAR}.zip").policy  # _1: the search
    journal = optuna.storages.journal.JournalFileBackend(str(storage))  # type: ignore[attr-defined]
    _, trial = optuna.load_study(study_name="scale", storage=optuna.storages.JournalStorage(journal)).trials
    assert policy.command_scale == 200.0 and policy.n_probing_states == 200  # the entry's
    assert policy.net_arch == NET_ARCHS[trial.params["policy_net_arch"]]  # the trial's


def test_an_entrys_policy_kwargs_are_read_from_every_kind_of_zoo_config(tmp_path: Path) -> None:
    from sb3_gogepo.zoo.manager import entry_policy_kwargs

    entries = {"default": {"policy_kwargs": "dict(net_arch=[8], activation_fn=nn.ReLU)"}, "Task-v0": {"n_envs": 1}}
    entries["Other-v0"] = {"policy_kwargs": {"command_scale": 7.0}}  # a Python config may hold the dict itself
    (tmp_path / "conf.yml").write_text(yaml.safe_dump(entries))
    (tmp_path / "conf.py").write_text(f"hyperparams = {entries!r}\n")
    for config in (tmp_path / "conf.yml", tmp_path / "conf.py"):
        assert entry_policy_kwargs(str(config), "Other-v0") == {"command_scale": 7.0}
        assert entry_policy_kwargs(str(config), "Task-v0") == {}  # its own entry, without policy_kwargs
        assert entry_policy_kwargs(str(config), "Unlisted-v0") == {"net_arch": [8], "activation_fn": th.nn.ReLU}
    assert entry_policy_kwargs(str(HYPERPARAMS_DIR / "gogepo.yml"), "Hopper-v4")["command_scale"] == 3100.0


def test_sampler_covers_the_main_hyperparameters() -> None:
    register()
    import rl_zoo3.exp_manager
    import rl_zoo3.hyperparams_opt

    assert rl_zoo3.hyperparams_opt.HYPERPARAMS_SAMPLER["gogepo"] is sample_gogepo_params
    assert rl_zoo3.exp_manager.HYPERPARAMS_CONVERTER["gogepo"] is convert_gogepo_params
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    sampled = sample_gogepo_params(trial, n_actions=1, n_envs=1, additional_args={})
    expected = {"noise_std", "learning_rate", "evaluator_learning_rate", "command_drive", "recency_exponent",
                "n_evaluator_updates", "n_generator_updates", "batch_size", "policy_kwargs"}  # fmt: skip
    assert set(sampled) == expected
    assert set(sampled["policy_kwargs"]) == {"net_arch", "hypernetwork_net_arch", "evaluator_net_arch"}
    assert convert_gogepo_params(trial.params) == sampled  # what --trial-id loads
    # The sizes join the entry's policy_kwargs, its activation included (the sampler set Tanh over an entry's ReLU).
    token = ENTRY_POLICY_KWARGS.set({"activation_fn": th.nn.ReLU, "command_scale": 465.0})
    try:
        joined = convert_gogepo_params(trial.params)["policy_kwargs"]
    finally:
        ENTRY_POLICY_KWARGS.reset(token)
    assert joined == {**sampled["policy_kwargs"], "activation_fn": th.nn.ReLU, "command_scale": 465.0}
    sampled["policy_kwargs"].update(net_arch=[4], hypernetwork_net_arch=[8], evaluator_net_arch=[8], n_probing_states=2)
    GoGePo("MlpPolicy", "Pendulum-v1", **sampled)


def test_linear_schedule_for_the_evaluator_learning_rate() -> None:
    hyperparams = GoGePoExperimentManager._preprocess_schedules({"learning_rate": 2e-6, "evaluator_learning_rate": "lin_0.01"})
    schedule = hyperparams["evaluator_learning_rate"]
    assert (schedule(1.0), schedule(0.5), schedule(0.0)) == (0.01, 0.005, 0.0)
    assert hyperparams["learning_rate"](0.3) == 2e-6


@pytest.mark.parametrize("key", ["learning_rate", "evaluator_learning_rate"])
@pytest.mark.parametrize(
    "value", [True, 0, -0.1, float("inf"), float("nan"), "lin_0", "lin_-0.1", "lin_nan", "abc", "lin_abc", "exp_0.001"]
)
def test_a_learning_rate_the_constructor_would_refuse_is_refused_before_the_zoo_wraps_it(key: str, value: Any) -> None:
    # Before, the zoo made a constant schedule of any number (True trained at 1.0, 0 froze the networks), the
    # constructor saw only a schedule, and strings failed in the parsing with errors that named neither the key nor
    # the form (or, for "exp_", made a linear schedule).
    with pytest.raises(ValueError, match=f"{key} must be a positive number or 'lin_<positive number>'"):
        GoGePoExperimentManager._preprocess_schedules({key: value})


def test_registration() -> None:
    register()
    register()
    import rl_zoo3
    import rl_zoo3.train

    assert rl_zoo3.ALGOS["gogepo"] is GoGePo and rl_zoo3.ALGOS["ddpg"] is SpinningUpDDPG
    assert rl_zoo3.train.ALGOS is rl_zoo3.ALGOS
    assert rl_zoo3.train.ExperimentManager is GoGePoExperimentManager


def test_command_line_entry_point(tmp_path: Path) -> None:
    """``python -m sb3_gogepo.train`` as a user runs it, with this project's YAML picked without ``-conf``."""
    command = [sys.executable, "-m", "sb3_gogepo.train", "--algo", "ars", "--env", "InvertedPendulum-v2", "-n", "200",
               "--num-threads", "1", "--eval-freq", "-1", "-f", str(tmp_path / "logs"), "--verbose", "0",
               "--hyperparams", "policy_kwargs:dict(net_arch=[4], activation_fn=nn.Tanh)"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Using this project's hyperparameters for ars: {ROOT / 'hyperparams' / 'ars.yml'}" in result.stdout
    model = ARS.load(tmp_path / "logs" / "ars" / "InvertedPendulum-v2_1" / "InvertedPendulum-v2.zip")
    assert (model.n_delta, model.n_top, model.lr_schedule(1.0)) == (1, 1, pytest.approx(0.001))

"""
Running the authors' public GoGePo code (IDSIA/GoGePo, gym + mujoco-py era) on today's stack, unchanged.

Their code is not part of this project: the scripts that use this module take the folder of a checkout as an option
(``--authors-code PATH``) and import from there. What makes it run here:

- a ``gym`` shim (:func:`install_gym_shim`): ``gym.make`` builds the gymnasium environment (the mujoco-py ids
  ``Swimmer-v3``, ``Hopper-v3``, ``InvertedPendulum-v2`` are served by their ``-v4`` versions once :mod:`sb3_gogepo`
  is imported), ``reset`` returns the observation only and ``step`` a 4-tuple ``(obs, reward, done, info)`` with
  ``done = terminated or truncated``; ``gym.spaces`` is gymnasium's;
- :class:`AuthorsScript`: their training script ``gogepo.py`` is one module-level program (argument parsing, set-up,
  then the training loop). It is compiled from their file and run in two parts, the set-up (every statement before
  the first top-level ``while``) and the rest (the training loop and the final save), so that a caller can read or
  change the script's globals in between (the budget in ``config``, the replay buffer's sampling) without editing it.
"""

from __future__ import annotations

import ast
import contextlib
import subprocess
import sys
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import gymnasium
import numpy as np

#: Their training script and their module of networks, buffers and statistics.
SCRIPT_FILE = "gogepo.py"
CORE_MODULE = "core_gogepo"
#: Offset between the seeds of the environments the script makes, in order (training env, then test env), as
#: ``benchmarks.run`` seeds its evaluation env with ``seed + 1_000_000``.
ENV_SEED_STRIDE = 1_000_000


class LegacyGymEnv:
    """
    A gymnasium environment with the gym < 0.26 interface the authors' code calls.

    :param env: The gymnasium environment.
    :param seed: Seed of the first ``reset`` (later resets continue the environment's random stream); None: unseeded.
    """

    def __init__(self, env: gymnasium.Env, seed: int | None = None) -> None:
        self.env = env
        self.observation_space = env.observation_space
        self.action_space = env.action_space
        self.spec = env.spec
        #: Seed of the next reset (None once the first reset has used it).
        self.reset_seed = seed
        self._episode_return = 0.0
        self._episode_length = 0
        #: ``(return, length)`` of every finished episode, in order.
        self.finished_episodes: list[tuple[float, int]] = []

    def reset(self) -> Any:
        """:return: The first observation of a new episode."""
        observation, _ = self.env.reset(seed=self.reset_seed)
        self.reset_seed = None
        self._episode_return, self._episode_length = 0.0, 0
        return observation

    def step(self, action: Any) -> tuple[Any, float, bool, dict[str, Any]]:
        """
        :param action: The action.
        :return: Observation, reward, whether the episode ended (terminated or truncated), info.
        """
        observation, reward, terminated, truncated, info = self.env.step(action)
        done = bool(terminated or truncated)
        self._episode_return += float(reward)
        self._episode_length += 1
        if done:
            self.finished_episodes.append((self._episode_return, self._episode_length))
        return observation, float(reward), done, info

    def close(self) -> None:
        """Close the environment."""
        self.env.close()


class GymShim:
    """
    The ``gym`` module the authors' code imports, backed by gymnasium.

    :param seed: Seed of the first environment made; the ``k``-th gets ``seed + k * ENV_SEED_STRIDE`` (None: unseeded).
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        #: Every environment made, in order.
        self.envs: list[LegacyGymEnv] = []

    def make(self, env_id: str, **kwargs: Any) -> LegacyGymEnv:
        """
        :param env_id: A gymnasium id (mujoco-py ids are served by their -v4 versions).
        :param kwargs: Keyword arguments of ``gymnasium.make``.
        :return: The environment with gym's old interface.
        """
        import sb3_gogepo  # noqa: F401  (registers the mujoco-py ids)

        seed = None if self.seed is None else self.seed + len(self.envs) * ENV_SEED_STRIDE
        env = LegacyGymEnv(gymnasium.make(env_id, **kwargs), seed)
        self.envs.append(env)
        return env


def install_gym_shim(seed: int | None = None) -> GymShim:
    """
    Make ``import gym`` and ``from gym.spaces import Box`` give the shim (for this process).

    :param seed: See :class:`GymShim`.
    :return: The shim (its ``envs`` are the environments the authors' code made).
    """
    shim = GymShim(seed)
    module = types.ModuleType("gym")
    module.make = shim.make  # type: ignore[attr-defined]
    module.spaces = gymnasium.spaces  # type: ignore[attr-defined]
    module.Env = gymnasium.Env  # type: ignore[attr-defined]
    sys.modules["gym"] = module
    sys.modules["gym.spaces"] = gymnasium.spaces
    return shim


def check_authors_code(path: str | Path) -> Path:
    """
    :param path: Folder of a checkout of IDSIA/GoGePo.
    :return: The folder, resolved.
    :raises FileNotFoundError: When it lacks their script or module.
    """
    folder = Path(path).expanduser().resolve()
    for name in (SCRIPT_FILE, f"{CORE_MODULE}.py"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder} is not a checkout of IDSIA/GoGePo: no {name}")
    return folder


def import_core(path: str | Path) -> types.ModuleType:
    """
    Import their ``core_gogepo`` module from a checkout (installs the gym shim if no ``gym`` is importable yet).

    :param path: Folder of the checkout.
    :return: The module.
    """
    folder = check_authors_code(path)
    if "gym" not in sys.modules:
        install_gym_shim()
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    import importlib

    module = importlib.import_module(CORE_MODULE)
    if Path(module.__file__ or "").resolve().parent != folder:
        raise ImportError(f"{CORE_MODULE} was already imported from {module.__file__}, not from {folder}")
    return module


def authors_commit(path: str | Path) -> str:
    """:return: The git commit of the checkout (with ``+changes`` if its tracked files differ from it), or ``unknown``."""
    folder = Path(path)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True).stdout.strip()
    if not commit:
        return "unknown"
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder, capture_output=True, text=True
    )
    return commit + (" +changes" if changed.stdout.strip() else "")


@contextlib.contextmanager
def _argv(argv: Sequence[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = list(argv)
    try:
        yield
    finally:
        sys.argv = saved


class AuthorsScript:
    """
    Their ``gogepo.py``, compiled from their file and run in two parts: :meth:`set_up` runs every statement before the
    first top-level ``while`` (arguments, config, seeding, environments, networks, optimizers, function definitions),
    :meth:`train` runs the rest (the training loop and the final save). Between the two, :attr:`namespace` holds the
    script's globals.

    :param path: Folder of the checkout.
    :param env_id: ``--env_name`` of the script.
    :param seed: ``--seed`` of the script (it seeds torch and NumPy with it).
    :param use_gpu: ``--use_gpu`` of the script.
    :param stdout: Where the script's prints go (None: this process's stdout).
    """

    def __init__(self, path: str | Path, env_id: str, seed: int, use_gpu: bool = False, stdout: IO[str] | None = None) -> None:
        self.folder = check_authors_code(path)
        self.file = self.folder / SCRIPT_FILE
        tree = ast.parse(self.file.read_text(), filename=str(self.file))
        split = next((i for i, node in enumerate(tree.body) if isinstance(node, ast.While)), None)
        if split is None:
            raise ValueError(f"{self.file} has no top-level training loop (while statement)")
        self._set_up_code = compile(ast.Module(tree.body[:split], type_ignores=[]), str(self.file), "exec")
        self._train_code = compile(ast.Module(tree.body[split:], type_ignores=[]), str(self.file), "exec")
        self.argv = [str(self.file), "--env_name", env_id, "--seed", str(seed), "--use_gpu", str(int(use_gpu))]
        self.stdout = stdout
        #: The script's globals.
        self.namespace: dict[str, Any] = {"__name__": "authors_gogepo", "__file__": str(self.file)}

    def _run(self, code: types.CodeType) -> None:
        import_core(self.folder)
        redirect = contextlib.redirect_stdout(self.stdout) if self.stdout is not None else contextlib.nullcontext()
        with _argv(self.argv), redirect:
            exec(code, self.namespace)

    def set_up(self) -> dict[str, Any]:
        """:return: The script's globals after its set-up."""
        self._run(self._set_up_code)
        return self.namespace

    def train(self) -> None:
        """Run the script's training loop (and its final save) with its globals as they are now."""
        self._run(self._train_code)


def recency_weights(size: int, exponent: float = 1.1) -> np.ndarray:
    """:return: Their ``Buffer.sample_replay`` weights of ``size`` entries, oldest first: ``(1 / age)**exponent``."""
    # A contiguous copy before the power, as theirs: NumPy's power may round a strided view differently in the last bit.
    return np.array(np.reciprocal(np.arange(1, size + 1, dtype=float))[::-1]) ** exponent

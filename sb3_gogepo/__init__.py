"""GoGePo (Goal-Conditioned Generators of Deep Policies) for Stable-Baselines3."""

from sb3_gogepo.envs import register_legacy_mujoco_ids
from sb3_gogepo.evaluation import evaluate_commands
from sb3_gogepo.gogepo import GoGePo
from sb3_gogepo.policies import CommandedPolicy, GeneratedPolicy, GoGePoPolicy, MlpPolicy

#: Version of the package.
__version__ = "0.1.0"

#: The mujoco-py ids that this import made usable (``Hopper-v3`` -> ``Hopper-v4``, ...).
LEGACY_ENV_IDS = register_legacy_mujoco_ids()

__all__ = [
    "LEGACY_ENV_IDS",
    "CommandedPolicy",
    "GeneratedPolicy",
    "GoGePo",
    "GoGePoPolicy",
    "MlpPolicy",
    "__version__",
    "evaluate_commands",
]

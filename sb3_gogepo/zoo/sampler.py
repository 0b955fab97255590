"""The Optuna sampler of GoGePo's hyperparameters for the RL Zoo's ``-optimize``, and its converter for ``--trial-id``."""

from contextvars import ContextVar
from typing import Any

import optuna

#: Named network sizes searched by :func:`sample_gogepo_params`.
NET_ARCHS: dict[str, list[int]] = {"tiny": [32, 32], "small": [64, 64], "medium": [256, 256]}
#: The ``policy_kwargs`` of the YAML entry a zoo search or trial runs on, which sampled network sizes join (set by
#: :class:`~sb3_gogepo.zoo.manager.GoGePoExperimentManager` around each trial and while it loads one).
ENTRY_POLICY_KWARGS: ContextVar[dict[str, Any] | None] = ContextVar("ENTRY_POLICY_KWARGS", default=None)


def join_policy_kwargs(hyperparams: dict[str, Any], entry_policy_kwargs: dict[str, Any]) -> dict[str, Any]:
    """
    :param hyperparams: GoGePo constructor arguments, some of them sampled.
    :param entry_policy_kwargs: The ``policy_kwargs`` of the YAML entry they would replace.
    :return: ``hyperparams`` whose sampled ``policy_kwargs`` (network sizes) join the entry's instead of replacing
        them, so that the entry's other settings (``command_scale``, ...) stay.
    """
    if "policy_kwargs" not in hyperparams:
        return hyperparams
    return {**hyperparams, "policy_kwargs": {**entry_policy_kwargs, **hyperparams["policy_kwargs"]}}


def convert_gogepo_params(sampled_params: dict[str, Any]) -> dict[str, Any]:
    """
    Turn the values an Optuna trial sampled (:func:`sample_gogepo_params`) into GoGePo constructor arguments.

    Network sizes are sampled by name (``policy_net_arch``, ``hypernetwork_net_arch``, ``evaluator_net_arch``,
    see :data:`NET_ARCHS`) and become ``policy_kwargs``; ``batch_size_pow`` becomes ``batch_size = 2**pow``.
    Used by rl-zoo3 to load a trial's hyperparameters (``--storage ... --trial-id ...``). Where
    :data:`ENTRY_POLICY_KWARGS` is set, the sampled sizes join those (:func:`join_policy_kwargs`).

    :param sampled_params: ``trial.params`` of a GoGePo trial.
    :return: Keyword arguments of :class:`~sb3_gogepo.GoGePo`.
    """
    hyperparams = dict(sampled_params)
    policy_kwargs: dict[str, Any] = {}
    for trial_key, policy_key in (
        ("policy_net_arch", "net_arch"),
        ("hypernetwork_net_arch", "hypernetwork_net_arch"),
        ("evaluator_net_arch", "evaluator_net_arch"),
    ):
        if trial_key in hyperparams:
            policy_kwargs[policy_key] = list(NET_ARCHS[hyperparams.pop(trial_key)])
    if policy_kwargs:
        hyperparams["policy_kwargs"] = policy_kwargs  # the activation stays the entry's (the paper's Tanh by default)
    if "batch_size_pow" in hyperparams:
        hyperparams["batch_size"] = 2 ** int(hyperparams.pop("batch_size_pow"))
    return join_policy_kwargs(hyperparams, ENTRY_POLICY_KWARGS.get() or {})


def sample_gogepo_params(trial: optuna.Trial, n_actions: int, n_envs: int, additional_args: dict[str, Any]) -> dict[str, Any]:
    """
    Optuna sampler of GoGePo's main hyperparameters, with rl-zoo3's sampler signature.

    Searched: parameter noise (``noise_std``), generator and evaluator learning rates, ``command_drive``,
    ``recency_exponent``, updates per episode (``n_evaluator_updates``, ``n_generator_updates``), ``batch_size``
    and the sizes of the generated policies, of the hypernetwork's slice networks and of the evaluator. The
    paper's values lie inside every range. Sampled network sizes join the ``policy_kwargs`` of the YAML entry
    (:data:`ENTRY_POLICY_KWARGS`), so that its ``command_scale`` and other settings stay.

    :param trial: The Optuna trial.
    :param n_actions: Size of the action space (unused).
    :param n_envs: Number of environments (unused).
    :param additional_args: rl-zoo3's extra arguments (unused).
    :return: Keyword arguments of :class:`~sb3_gogepo.GoGePo`.
    """
    sampled = {
        "noise_std": trial.suggest_float("noise_std", 0.01, 0.5, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 1e-7, 1e-4, log=True),
        "evaluator_learning_rate": trial.suggest_float("evaluator_learning_rate", 1e-4, 2e-2, log=True),
        "command_drive": trial.suggest_categorical("command_drive", [0.0, 5.0, 10.0, 20.0, 50.0, 100.0]),
        "recency_exponent": trial.suggest_float("recency_exponent", 0.0, 2.0),
        "n_evaluator_updates": trial.suggest_categorical("n_evaluator_updates", [1, 2, 5, 10, 20]),
        "n_generator_updates": trial.suggest_categorical("n_generator_updates", [5, 10, 20, 50]),
        "batch_size_pow": trial.suggest_int("batch_size_pow", 3, 6),
        "policy_net_arch": trial.suggest_categorical("policy_net_arch", list(NET_ARCHS)),
        "hypernetwork_net_arch": trial.suggest_categorical("hypernetwork_net_arch", list(NET_ARCHS)),
        "evaluator_net_arch": trial.suggest_categorical("evaluator_net_arch", list(NET_ARCHS)),
    }
    return convert_gogepo_params(sampled)

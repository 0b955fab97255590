"""GoGePo's policy object: generator, evaluator, observation statistics, and the policy generated for the best return."""

import inspect
import math
import operator
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from stable_baselines3.common.utils import get_device, is_vectorized_observation
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook
from torch.utils.weak import WeakIdKeyDictionary

from sb3_gogepo.action_heads import ActionHead
from sb3_gogepo.commands import as_command, normalize_commands, running_command_scale
from sb3_gogepo.files import atomic_write
from sb3_gogepo.fingerprint import FingerprintEvaluator
from sb3_gogepo.functional import FlatPolicy, GeneratedPolicy, InputStatistics, LayerParams, ParameterLayout
from sb3_gogepo.hypernetwork import SliceHypernetwork
from sb3_gogepo.normalization import ObservationNormalizer
from sb3_gogepo.validation import MAX_TRAINING_MAGNITUDE, check_positive_integer, is_integer, is_real

#: A policy's float32 acting copies (per layer ``W^T``, ``b``) and the offset its observations are centred by.
NumpyActing = tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray | None]

_VERSION = operator.attrgetter("_version")  # a tensor's count of its in-place changes
_DATA_PTR = th.Tensor.data_ptr  # where its data is: ``tensor.data = ...`` moves it

#: Optimizers whose state :meth:`SliceHypernetwork.rescale_command_input` knows how to rescale.
RESCALABLE_OPTIMIZERS = (th.optim.Adam, th.optim.AdamW, th.optim.SGD, th.optim.RMSprop)


class _ChangeCounter:
    """
    Counts the changes other code makes to a policy's generator: loads into the modules that hook it, and steps of any
    optimizer over its tensors. The modules and the tensors' entry hold this counter and not the policy, so a generator
    kept, saved or copied on its own does not carry the whole policy with it.
    """

    def __init__(self) -> None:
        self.count = 0

    def loaded(self, module: nn.Module, incompatible_keys: Any) -> None:
        self.count += 1


#: The change counter of the policy each listed tensor belongs to (entries go with their tensors).
_COUNTERS_BY_TENSOR: WeakIdKeyDictionary = WeakIdKeyDictionary()


def _count_optimizer_step(optimizer: th.optim.Optimizer, args: Any, kwargs: Any) -> None:
    """
    A global step hook: the caches cannot rely on a hook of the policy's own optimizer, which a copy or a pickle drops
    and a user's optimizer lacks, nor on the tensors' in-place counters, which fused kernels (the default Adam here)
    leave as they were.
    """
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            counter = _COUNTERS_BY_TENSOR.get(parameter)
            if counter is not None:
                counter.count += 1


register_optimizer_step_post_hook(_count_optimizer_step)


class GoGePoPolicy(BasePolicy):
    """
    Policy class of GoGePo: the generator ``G(c)``, the evaluator ``V(theta)`` and their optimizers, the running
    observation statistics, and the best training return seen. Acting (``predict``) uses the policy generated
    for the best return, without noise.

    :param observation_space: Observation space (flat ``Box``).
    :param action_space: Action space (``Box`` or ``Discrete``).
    :param lr_schedule: Learning rate schedule of the generator (default: constant 2e-6, the paper's).
    :param evaluator_lr_schedule: Learning rate schedule of the evaluator (default: constant 5e-3).
    :param net_arch: Hidden layers of the generated policies (``[256, 256]`` in the paper).
    :param activation_fn: Hidden non-linearity of the generated policies (``nn.Tanh`` in the paper).
    :param slice_size: Tile size of the hypernetwork (16).
    :param embedding_dim: Size of the tile embeddings (8).
    :param hypernetwork_net_arch: Hidden layers of every slice network ``H`` (``[256, 256]``).
    :param output_scaling: Scale generated parameters by ``2 / sqrt(fan_in)`` (True in the paper).
    :param separate_bias_networks: A dedicated bias network per layer kind, as in the paper (True). False
        generates bias slices as extra outputs of the weight networks (part of the fast mode).
    :param evaluator_net_arch: Hidden layers of the evaluator's MLP ``U`` (``[256, 256]``).
    :param n_probing_states: Number of learnable probing states (200).
    :param command_scale: ``None``: commands enter the generator through ``symlog`` (environment-agnostic);
        a number (at least ``1 / MAX_TRAINING_MAGNITUDE = 1e-15``): commands are divided by it (the authors'
        per-environment return range, which ``hyperparams/gogepo.yml`` sets for the paper's tasks); ``"auto"``:
        commands are divided by the largest magnitude of the training returns seen (at least 1), and the generator
        is rescaled whenever that grows so that its function does not change (:meth:`observe_return`).
    :param normalize_observations: Normalise observations with running statistics (True in the paper).
    :param optimizer_class: Optimizer of generator and evaluator (Adam).
    :param optimizer_kwargs: Extra keyword arguments of the optimizer. With Adam and no ``foreach``/``fused``
        given, the fused implementation is used (the same algorithm in one kernel).
    """

    best_return: th.Tensor
    command_input_scale: th.Tensor

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule | None = None,
        evaluator_lr_schedule: Schedule | None = None,
        net_arch: Sequence[int] | None = None,
        activation_fn: type[nn.Module] = nn.Tanh,
        slice_size: int = 16,
        embedding_dim: int = 8,
        hypernetwork_net_arch: Sequence[int] | None = None,
        output_scaling: bool = True,
        separate_bias_networks: bool = True,
        evaluator_net_arch: Sequence[int] | None = None,
        n_probing_states: int = 200,
        command_scale: float | str | None = None,
        normalize_observations: bool = True,
        optimizer_class: type[th.optim.Optimizer] = th.optim.Adam,
        optimizer_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            observation_space,
            action_space,
            optimizer_class=optimizer_class,
            optimizer_kwargs=optimizer_kwargs,
            normalize_images=False,
        )
        _check_policy_arguments(
            net_arch,
            hypernetwork_net_arch,
            evaluator_net_arch,
            slice_size,
            embedding_dim,
            n_probing_states,
            command_scale,
            activation_fn,
            optimizer_class,
            optimizer_kwargs,
            output_scaling=output_scaling,
            separate_bias_networks=separate_bias_networks,
            normalize_observations=normalize_observations,
        )
        self.net_arch = [256, 256] if net_arch is None else list(net_arch)
        self.hypernetwork_net_arch = [256, 256] if hypernetwork_net_arch is None else list(hypernetwork_net_arch)
        self.evaluator_net_arch = [256, 256] if evaluator_net_arch is None else list(evaluator_net_arch)
        self.activation_fn = activation_fn
        self.slice_size = slice_size
        self.embedding_dim = embedding_dim
        self.output_scaling = output_scaling
        self.separate_bias_networks = separate_bias_networks
        self.n_probing_states = n_probing_states
        self.command_scale = command_scale
        self.normalize_observations = normalize_observations

        n_obs = int(np.prod(observation_space.shape))  # type: ignore[arg-type]
        self.action_head = ActionHead(action_space)
        self.layout = ParameterLayout([n_obs, *self.net_arch, self.action_head.n_outputs])
        self._activation = activation_fn()
        self.observation_normalizer = ObservationNormalizer(n_obs, enabled=normalize_observations)
        #: The generated policies' forward pass (shares the action head and the observation statistics).
        self.flat_policy = FlatPolicy(self.layout, activation_fn, self.action_head, self.observation_normalizer)
        self.generator = SliceHypernetwork(
            self.layout, slice_size, embedding_dim, self.hypernetwork_net_arch, output_scaling, separate_bias_networks
        )
        self.evaluator = FingerprintEvaluator(
            self.layout, self.action_head, n_probing_states, self.evaluator_net_arch, nn.ReLU, self._activation
        )
        self.register_buffer("best_return", th.tensor(-float("inf"), dtype=th.float64))
        if command_scale == "auto":
            if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, RESCALABLE_OPTIMIZERS)):
                raise ValueError(
                    f"command_scale='auto' rescales the generator's optimizer state, which {optimizer_class.__name__} "
                    f"does not support: use one of {', '.join(cls.__name__ for cls in RESCALABLE_OPTIMIZERS)}"
                )
            self.register_buffer("command_input_scale", th.tensor(1.0, dtype=th.float64))
        if self.optimizer_class is th.optim.Adam and not {"foreach", "fused"} & set(self.optimizer_kwargs):
            self.optimizer_kwargs = {**self.optimizer_kwargs, "fused": True}
        self.generator_optimizer = self.optimizer_class(  # type: ignore[call-arg]
            self.generator.parameters(), lr=lr_schedule(1) if lr_schedule else 2e-6, **self.optimizer_kwargs
        )
        self.evaluator_optimizer = self.optimizer_class(  # type: ignore[call-arg]
            self.evaluator.parameters(),
            lr=evaluator_lr_schedule(1) if evaluator_lr_schedule else 5e-3,
            **self.optimizer_kwargs,
        )
        # Generated parameters by command, and their NumPy acting copies by (command, statistics version), for the
        # generator as it was at ``_cached_generator_version``. The version counts the generator's changes: the steps
        # of any optimizer over its tensors (a global hook: a user's own, fused or copied, included), loads into its
        # submodules (a hook on each: a load may replace tensors, ``assign=True``), device moves and command
        # rescaling, so the caches check themselves. The tensors' in-place counters and data pointers catch other
        # changes to the tensors listed: in-place edits, ``.data = ...`` (vector_to_parameters). A tensor replaced by
        # attribute assignment (``layer.weight = nn.Parameter(...)``) needs ``_generator_changed()``.
        self._generator_version = 0
        self._source_tensors: tuple[th.Tensor, ...] | None = None
        self._changes = _ChangeCounter()
        self._seen_changes = 0
        self._cached_generator_version: tuple[int, tuple[int, tuple[int, ...]]] = (0, self._tensor_versions())
        self._params_cache: dict[float, th.Tensor] = {}
        self._numpy_cache: dict[tuple[float, int], NumpyActing] = {}
        for module in (*self.generator.modules(), *self.observation_normalizer.modules()):
            module.register_load_state_dict_post_hook(self._changes.loaded)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        del data["normalize_images"]  # GoGePo has no image observations
        data.update(
            dict(
                net_arch=self.net_arch,
                activation_fn=self.activation_fn,
                slice_size=self.slice_size,
                embedding_dim=self.embedding_dim,
                hypernetwork_net_arch=self.hypernetwork_net_arch,
                output_scaling=self.output_scaling,
                separate_bias_networks=self.separate_bias_networks,
                evaluator_net_arch=self.evaluator_net_arch,
                n_probing_states=self.n_probing_states,
                command_scale=self.command_scale,
                normalize_observations=self.normalize_observations,
                optimizer_class=self.optimizer_class,
                optimizer_kwargs=self.optimizer_kwargs,
                lr_schedule=None,  # recreated by the algorithm
                evaluator_lr_schedule=None,
            )
        )
        return data

    def save(self, path: str | os.PathLike) -> None:
        """
        Save the policy as SB3's ``BasePolicy.save`` does, atomically: the file is written aside and moved onto
        ``path`` once complete (a failed save leaves the previous file whole).

        :param path: Target file.
        """
        with atomic_write(path) as file:
            th.save(self._saved_variables(), file)

    def _saved_variables(self) -> dict[str, Any]:
        """:return: What :meth:`save` writes, as SB3's ``BasePolicy.save``: the state dict and the constructor's arguments."""
        return {"state_dict": self.state_dict(), "data": self._get_constructor_parameters()}

    def generate(self, commands: th.Tensor) -> th.Tensor:
        """
        Run the generator.

        :param commands: Raw return commands ``(B,)``.
        :return: Flat policy parameters ``(B, n_params)`` (with gradient if enabled).
        """
        return self.generator(self._normalized_commands(commands))

    def generate_layers(self, commands: th.Tensor) -> LayerParams:
        """
        Run the generator, keeping each layer's parameters apart (the evaluator takes them as they are).

        :param commands: Raw return commands ``(B,)``.
        :return: For each layer, a weight ``(B, out, in)`` and a bias ``(B, out)`` (with gradient if enabled).
        """
        return self.generator.generate_layers(self._normalized_commands(commands))

    def _normalized_commands(self, commands: th.Tensor) -> th.Tensor:
        commands = commands.to(device=self.device, dtype=th.float32)
        if self.command_scale == "auto":
            return normalize_commands(commands, self.command_input_scale.float())
        return normalize_commands(commands, self.command_scale)  # type: ignore[arg-type]

    def observe_return(self, training_return: float) -> None:
        """
        Take a newly stored training return into the command scale of ``command_scale="auto"`` (nothing otherwise).
        When the scale grows, the generator is rescaled with it, so it generates the same policies as before.

        :param training_return: A finite training return.
        """
        if self.command_scale != "auto":
            return
        scale = float(self.command_input_scale)
        new_scale = running_command_scale(scale, training_return)
        if new_scale > scale:
            self.generator.rescale_command_input(new_scale / scale, self.generator_optimizer)
            self.command_input_scale.fill_(new_scale)
            self._generator_changed()

    def acting_command(self) -> float:
        """:return: The command the policy acts with: the best training return seen (0 before any episode)."""
        best = float(self.best_return)
        return best if np.isfinite(best) else 0.0

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._source_tensors = None  # a copy's tensors are its own: listed (and their optimizer steps counted) anew

    def _generator_changed(self) -> None:
        self._generator_version = getattr(self, "_generator_version", 0) + 1
        self._source_tensors = None

    def _tensor_versions(self) -> tuple[int, tuple[int, ...]]:
        """
        :return: The sum of the in-place change counters of the tensors the generated policies are made from, and
            where their data are (inference tensors have no counter, and can only be changed in inference mode).
        """
        if self._source_tensors is None:  # listed once per set of tensors (a device move or a load makes new ones)
            normalizer = self.observation_normalizer
            tensors = (*self.generator.parameters(), *self.generator.buffers(), *self.buffers(recurse=False))
            self._source_tensors = tuple(
                tensor for tensor in (*tensors, normalizer.mean, normalizer.std) if not tensor.is_inference()
            )
            for tensor in self._source_tensors:
                _COUNTERS_BY_TENSOR[tensor] = self._changes
        return sum(map(_VERSION, self._source_tensors)), tuple(map(_DATA_PTR, self._source_tensors))

    def _current_caches(
        self,
    ) -> tuple[dict[float, th.Tensor], dict[tuple[float, int], NumpyActing]]:
        """:return: The caches of generated parameters and of acting copies, emptied if the generator has changed."""
        if self._changes.count != self._seen_changes:
            self._seen_changes = self._changes.count
            self._generator_changed()
        version = (self._generator_version, self._tensor_versions())
        if self._cached_generator_version != version:
            self._params_cache.clear()
            self._numpy_cache.clear()
            self._cached_generator_version = version
        return self._params_cache, self._numpy_cache

    def params_for(self, command: float) -> th.Tensor:
        """
        The noise-free policy parameters the generator produces for a command, cached until the generator changes.

        :param command: Desired return.
        :return: Flat parameters ``(n_params,)``.
        """
        command = as_command(command)
        cache, _ = self._current_caches()
        params = cache.get(command)
        if params is None:
            with th.no_grad():
                params = self.generate(th.tensor([command]))[0]
            if len(cache) >= 64:
                cache.clear()
            cache[command] = params
        return params

    def _numpy_layers(self, command: float) -> NumpyActing:
        """
        :return: Per layer ``(W^T, b)`` as float32 arrays of the policy generated for ``command``, with the
            observation scaling folded into the first layer, and the offset its observations are centred by (both
            cached like :meth:`params_for`).
        """
        _, cache = self._current_caches()
        key = (float(command), self.observation_normalizer.version)
        acting = cache.get(key)
        if acting is None:
            layers = [
                (weight.float().numpy().copy(), bias.float().numpy().copy())
                for weight, bias in self.flat_policy.acting_copies(self.params_for(command))
            ]
            acting = (layers, self.flat_policy.acting_offset())
            if len(cache) >= 64:
                cache.clear()
            cache[key] = acting
        return acting

    def _predict_numpy(self, observation: np.ndarray, command: float) -> np.ndarray:
        """``predict`` on the CPU without torch, and without SB3's per-call work (mode switches, tensor conversions)."""
        vectorized = is_vectorized_observation(observation, self.observation_space)
        flat = np.asarray(observation, dtype=np.float32).reshape(-1, self.layout.sizes[0])
        layers, offset = self._numpy_layers(command)
        actions = self.flat_policy.act_numpy(layers, flat, offset)
        actions = actions.reshape((-1, *self.action_head.action_shape))
        if isinstance(self.action_space, spaces.Box):
            actions = np.clip(actions, self.action_space.low, self.action_space.high)
        return actions if vectorized else actions.squeeze(axis=0)

    def export(self, command: float | None = None, input_statistics: InputStatistics | None = None) -> GeneratedPolicy:
        """
        The noise-free policy generated for a command, as a standalone module.

        :param command: Desired return (default: the best return seen).
        :param input_statistics: The training env's ``VecNormalize`` statistics, to build in (default: none, so the
            module takes observations as this policy sees them). :meth:`GoGePo.generate_policy
            <sb3_gogepo.GoGePo.generate_policy>` passes them.
        :return: The generated policy as a standalone ``nn.Module``.
        """
        command = self.acting_command() if command is None else command
        return self.flat_policy.export(self.params_for(command), self.observation_space.shape, input_statistics)

    def act_with(self, params: th.Tensor, observations: th.Tensor) -> th.Tensor:
        """
        Act with one policy given by its flat parameters (torch path, used by ``predict``).

        :param params: Flat parameters ``(n_params,)`` of one policy.
        :param observations: Raw observations ``(N, n_obs)``.
        :return: Actions ``(N, ...)``.
        """
        return self.flat_policy.act(params.unsqueeze(0), observations.reshape(1, observations.shape[0], -1))[0]

    def forward(self, obs: th.Tensor, deterministic: bool = True) -> th.Tensor:
        """
        :param obs: Preprocessed observations ``(batch, ...)`` (as ``obs_to_tensor`` gives them).
        :param deterministic: Unused: the generated networks are deterministic.
        :return: Actions of the policy generated for the best return seen, in the env's action space.
        """
        return self._predict(obs, deterministic)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        assert isinstance(observation, th.Tensor)
        return self.act_with(self.params_for(self.acting_command()), observation)

    def _acts_in_numpy(self, observation: Any) -> bool:
        """:return: Whether ``predict`` takes the NumPy path for this observation (on the CPU, without torch)."""
        return (
            self.device.type == "cpu"
            and self.flat_policy.numpy_activation is not None
            and isinstance(observation, np.ndarray)
            and observation.dtype.kind in "biuf"  # others (objects, strings) go to SB3's path, which refuses them
        )

    def commanded(self, command: float | None = None) -> "CommandedPolicy":
        """
        :param command: Desired return (default: the best training return seen, read at every call).
        :return: The policy generated for it, with SB3's ``predict``.
        """
        return CommandedPolicy(self, command)

    def predict(  # type: ignore[override]
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
        command: float | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """
        Act with the generated policy. The generated networks are deterministic, so ``deterministic`` changes
        nothing (as for ARS).

        :param observation: Observation(s).
        :param state: Unused (no recurrent state); returned as it is, as SB3's policies do.
        :param episode_start: Unused.
        :param deterministic: Unused.
        :param command: Act with the policy generated for this return instead of the best return seen.
        :return: Actions and ``state``.
        """
        if self._acts_in_numpy(observation):
            return self._predict_numpy(observation, self.acting_command() if command is None else as_command(command)), state  # type: ignore[arg-type]
        if command is None:
            return super().predict(observation, state, episode_start, deterministic)
        return self.commanded(command).predict(observation, state, episode_start, deterministic)

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        result = super().load_state_dict(state_dict, strict=strict, assign=assign)
        self._generator_changed()
        return result

    def _apply(self, fn, recurse=True):  # type: ignore[no-untyped-def]
        self._generator_changed()
        return super()._apply(fn, recurse)


class CommandedPolicy(BasePolicy):
    """
    The policy the generator produces for one desired return, ``G(c)`` without noise, as an SB3 policy: its ``predict``
    is SB3's, so ``evaluate_policy`` (and anything else that takes a model) runs it as it is. It shares the networks
    of the :class:`GoGePoPolicy` it comes from, and acts with the generator as it is at every call.

    :param policy: The policy whose generator produces the commanded policy.
    :param command: Desired return; None: the best training return seen (read at every call).
    """

    def __init__(self, policy: GoGePoPolicy, command: float | None = None) -> None:
        super().__init__(policy.observation_space, policy.action_space, normalize_images=False)
        self.policy = policy
        self.command = None if command is None else as_command(command)

    def current_command(self) -> float:
        """:return: The command acted on now: ``command``, or the best training return seen."""
        return self.policy.acting_command() if self.command is None else self.command

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        assert isinstance(observation, th.Tensor)
        return self.policy.act_with(self.policy.params_for(self.current_command()), observation)

    def predict(
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """
        Act with the policy generated for the command (deterministic whatever ``deterministic`` says).

        :param observation: Observation(s).
        :param state: Unused (no recurrent state); returned as it is.
        :param episode_start: Unused.
        :param deterministic: Unused.
        :return: Actions and ``state``.
        """
        if self.policy._acts_in_numpy(observation):
            return self.policy._predict_numpy(observation, self.current_command()), state  # type: ignore[arg-type]
        return super().predict(observation, state, episode_start, deterministic)

    def save(self, path: str | os.PathLike) -> None:
        """
        Save the commanded policy atomically: the policy it comes from (as :meth:`GoGePoPolicy.save` writes it, so
        ``GoGePoPolicy.load`` reads the file too) and the command.

        :param path: Target file.
        """
        with atomic_write(path) as file:
            th.save({**self.policy._saved_variables(), "command": self.command, "policy_class": type(self.policy)}, file)

    @classmethod
    def load(cls, path: str | os.PathLike, device: th.device | str = "auto") -> "CommandedPolicy":  # type: ignore[override]
        """
        Load a commanded policy saved by :meth:`save`; a file of :meth:`GoGePoPolicy.save` loads as the policy for the
        best training return seen.

        :param path: The file.
        :param device: Device to load the policy on.
        :return: The commanded policy, with the policy it comes from.
        """
        device = get_device(device)
        saved = th.load(path, map_location=device, weights_only=False)  # as BasePolicy.load: the spaces are pickled
        policy = saved.get("policy_class", GoGePoPolicy)(**saved["data"])
        policy.load_state_dict(saved["state_dict"])
        return cls(policy.to(device), saved.get("command"))

    def export(self) -> GeneratedPolicy:
        """
        :return: The commanded policy, as it is now, as a standalone module that takes observations as this policy sees
            them (after any ``VecNormalize``; :meth:`GoGePo.generate_policy <sb3_gogepo.GoGePo.generate_policy>` builds
            that step in).
        """
        return self.policy.export(self.current_command())


def _check_policy_arguments(
    net_arch: Sequence[int] | None,
    hypernetwork_net_arch: Sequence[int] | None,
    evaluator_net_arch: Sequence[int] | None,
    slice_size: int,
    embedding_dim: int,
    n_probing_states: int,
    command_scale: float | str | None,
    activation_fn: Any,
    optimizer_class: Any,
    optimizer_kwargs: Any,
    **flags: bool,
) -> None:
    for name, value, base, example in (
        ("activation_fn", activation_fn, nn.Module, "torch.nn.ReLU"),
        ("optimizer_class", optimizer_class, th.optim.Optimizer, "torch.optim.Adam"),
    ):
        if not (isinstance(value, type) and issubclass(value, base)):
            raise ValueError(f"{name} must be a subclass of {base.__module__}.{base.__name__} (e.g. {example}), got {value!r}")
    closure = inspect.signature(optimizer_class.step).parameters.get("closure")
    if closure is not None and closure.default is inspect.Parameter.empty:
        raise ValueError(
            f"optimizer_class must step without a closure (GoGePo's updates call step()), and "
            f"{optimizer_class.__name__}.step needs one"
        )
    if optimizer_kwargs is not None and not isinstance(optimizer_kwargs, dict):
        raise ValueError(f"optimizer_kwargs must be None or a dict of keyword arguments, got {optimizer_kwargs!r}")
    for name, arch in (
        ("net_arch", net_arch),
        ("hypernetwork_net_arch", hypernetwork_net_arch),
        ("evaluator_net_arch", evaluator_net_arch),
    ):
        if arch is None:
            continue
        if not isinstance(arch, (list, tuple)) or any(not is_integer(size) or size < 1 for size in arch):
            raise ValueError(f"{name} must be a list of positive layer sizes, got {arch!r}")
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise ValueError(f"{name} must be True or False, got {flag!r}")
    for name, value in (("slice_size", slice_size), ("embedding_dim", embedding_dim), ("n_probing_states", n_probing_states)):
        check_positive_integer(name, value)
    smallest_scale = 1 / MAX_TRAINING_MAGNITUDE
    if command_scale is not None and command_scale != "auto":
        if not (is_real(command_scale) and smallest_scale <= command_scale < math.inf):  # type: ignore[operator]
            raise ValueError(
                f"command_scale must be None (symlog), 'auto' or a finite number of at least {smallest_scale:g} (the "
                f"generator takes return / command_scale and trains on magnitudes up to {MAX_TRAINING_MAGNITUDE:g}), "
                f"got {command_scale!r}"
            )


MlpPolicy = GoGePoPolicy

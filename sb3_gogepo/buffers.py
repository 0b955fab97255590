"""FIFO buffer of (policy parameters, return) pairs with recency-weighted sampling."""

import io
import os
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch as th

from sb3_gogepo.files import atomic_write
from sb3_gogepo.validation import MAX_TRAINING_MAGNITUDE

#: Storage dtypes of the policy buffer, by name.
BUFFER_DTYPES = {"float32": th.float32, "float16": th.float16, "bfloat16": th.bfloat16}
#: Version of the file format written by :meth:`PolicyBuffer.save` (2: parameters, returns, storage dtype, layer sizes).
_FORMAT_VERSION = 2


class PolicyBufferSamples(NamedTuple):
    """
    A minibatch of the policy buffer, as SB3's ``ReplayBufferSamples`` is one of a replay buffer. Draws are with
    replacement, so a batch repeats entries: each distinct policy is given once, and ``policy_index`` says which one
    every draw is (the evaluator runs each policy once, and the loss over the whole batch is unchanged).

    :param params: The distinct policies drawn, ``(n_distinct, n_params)`` in float32.
    :param returns: The training return of every draw, ``(batch_size,)``.
    :param policy_index: For every draw, its row in ``params``, ``(batch_size,)``.
    """

    params: th.Tensor
    returns: th.Tensor
    policy_index: th.Tensor


class PolicyBuffer:
    """
    The replay buffer of GoGePo: the last ``buffer_size`` episodes' policy parameters and training returns.

    Sampling is recency-weighted (paper Section 5.1): an entry stored ``x`` episodes ago (the newest has
    ``x = 1``) is drawn with probability proportional to ``1 / x**recency_exponent``; ``recency_exponent=0``
    samples uniformly. Draws are with replacement.

    Parameters can be stored in a narrower dtype than they are trained in (``float16`` halves the memory of a
    full buffer); samples are returned as ``float32``. Storage is allocated at once but only touched as it
    fills, so the resident memory grows with the number of entries.

    :param buffer_size: Maximum number of entries; the oldest is overwritten when full.
    :param n_params: Size of one flat parameter vector.
    :param recency_exponent: Exponent of the recency weights (1.1 in the paper).
    :param device: Where entries are stored and sampled.
    :param storage_dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``.
    :param layer_sizes: Layer widths of the policies (``sizes`` of :class:`~sb3_gogepo.functional.ParameterLayout`):
        saved with the entries, and a file of policies with other layers is refused on load, even when their
        parameter count matches.
    """

    def __init__(
        self,
        buffer_size: int,
        n_params: int,
        recency_exponent: float = 1.1,
        device: th.device | str = "cpu",
        storage_dtype: str = "float32",
        layer_sizes: Sequence[int] | None = None,
    ) -> None:
        if storage_dtype not in BUFFER_DTYPES:
            raise ValueError(f"storage_dtype must be one of {sorted(BUFFER_DTYPES)}, got {storage_dtype!r}")
        _check_fits(buffer_size, n_params, storage_dtype, th.device(device))
        self.buffer_size = buffer_size
        self.n_params = n_params
        self.layer_sizes = None if layer_sizes is None else tuple(int(size) for size in layer_sizes)
        self.recency_exponent = recency_exponent
        self.device = th.device(device)
        self.storage_dtype = storage_dtype
        self.params = th.empty(buffer_size, n_params, dtype=BUFFER_DTYPES[storage_dtype], device=self.device)
        self.returns = th.zeros(buffer_size, dtype=th.float32, device=self.device)
        self.pos = 0
        self.full = False
        # Weight of the entry that is `age` episodes old sits at index `age - 1`.
        ages = th.arange(1, buffer_size + 1, dtype=th.float64)
        self.age_weights = ages.pow(-recency_exponent).to(th.float32).to(self.device)

    def size(self) -> int:
        """:return: Number of stored entries."""
        return self.buffer_size if self.full else self.pos

    def add(self, params: th.Tensor, episode_return: float) -> bool:
        """
        Store one episode, unless its parameters are not finite in the storage dtype (beyond ``float16``'s range, say).

        :param params: Flat parameters ``(n_params,)`` of the policy that was run.
        :param episode_return: Its training return.
        :return: Whether it was stored.
        """
        stored = params.detach().to(self.params.dtype)
        if not th.isfinite(stored).all():
            return False
        self.params[self.pos].copy_(stored)
        self.returns[self.pos] = episode_return
        self.pos += 1
        if self.pos == self.buffer_size:
            self.pos = 0
            self.full = True
        return True

    def __getstate__(self) -> dict[str, Any]:
        """
        What pickling keeps (SB3's ``save(include=["policy_buffer"])``): the entries, not the whole allocation, and on
        the CPU, so that the file grows with the entries and loads on a machine without the buffer's device.
        """
        params, returns = self.ordered()
        state = {key: value for key, value in self.__dict__.items() if key not in ("params", "returns", "age_weights")}
        state.update(device=th.device("cpu"), entries=(params.cpu().clone(), returns.cpu().clone()))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        entries = state.pop("entries", None)
        if entries is None:  # pickled whole, by version 0.1.0
            self.__dict__.update(state)
            return
        sizes = state["layer_sizes"]
        PolicyBuffer.__init__(
            self, state["buffer_size"], state["n_params"], state["recency_exponent"], "cpu", state["storage_dtype"], sizes
        )
        self.set_entries(*entries)

    def _indices_of_ages(self, ages: th.Tensor) -> th.Tensor:
        return th.remainder(self.pos - ages, self.buffer_size)

    def sample_indices(self, batch_size: int) -> th.Tensor:
        """
        :param batch_size: Number of draws (with replacement).
        :return: ``batch_size`` storage indices drawn with the recency weights.
        """
        size = self.size()
        if size == 0:
            raise RuntimeError("Cannot sample from an empty policy buffer")
        ages = th.multinomial(self.age_weights[:size], batch_size, replacement=True) + 1
        return self._indices_of_ages(ages)

    def sample(self, batch_size: int) -> PolicyBufferSamples:
        """
        :param batch_size: Number of draws (with replacement, recency-weighted).
        :return: The distinct policies drawn, the returns of all draws, and which policy each draw is.
        """
        indices = self.sample_indices(batch_size)
        distinct, inverse = th.unique(indices, return_inverse=True)
        return PolicyBufferSamples(self.params[distinct].float(), self.returns[indices], inverse)

    def sample_returns(self, batch_size: int) -> th.Tensor:
        """
        :param batch_size: Number of draws (with replacement).
        :return: Returns ``(batch_size,)`` drawn with the recency weights (the generator's commands).
        """
        return self.returns[self.sample_indices(batch_size)]

    def ordered(self) -> tuple[th.Tensor, th.Tensor]:
        """:return: Stored parameters and returns, oldest first."""
        if not self.full:
            return self.params[: self.pos], self.returns[: self.pos]
        order = th.remainder(th.arange(self.buffer_size, device=self.device) + self.pos, self.buffer_size)
        return self.params[order], self.returns[order]

    def save(self, path: str | os.PathLike | io.BufferedIOBase, policies: Mapping[str, np.ndarray] | None = None) -> None:
        """
        Write the buffer to a ``.npz`` file of plain arrays (no pickle, so loading runs no code). A file is written
        aside and moved onto ``path`` once complete (a failed save leaves the previous file whole).

        :param path: Target file, or a binary file object open for writing.
        :param policies: What the parameters mean besides their layer sizes (the activation, the action bounds, ...),
            stored for :meth:`load` to compare.
        """
        params, returns = self.ordered()
        if self.storage_dtype == "bfloat16":
            params_array = params.view(th.int16).cpu().numpy()
        else:
            params_array = params.cpu().numpy()
        arrays: dict[str, Any] = dict(
            format_version=np.array(_FORMAT_VERSION),
            params=params_array,
            returns=returns.cpu().numpy(),
            storage_dtype=np.array(self.storage_dtype),
            n_params=np.array(self.n_params),
            layer_sizes=np.array(self.layer_sizes if self.layer_sizes is not None else [], dtype=np.int64),
            **{f"policies_{key}": np.asarray(value) for key, value in (policies or {}).items()},
        )
        if isinstance(path, (str, os.PathLike)):
            with atomic_write(path) as file:  # a file object: numpy would append ".npz" to a name without it
                np.savez(file, **arrays)
        else:
            np.savez(path, **arrays)

    def load(self, path: str | os.PathLike | io.BufferedIOBase, policies: Mapping[str, np.ndarray] | None = None) -> None:
        """
        Replace the contents with a file written by :meth:`save`. The newest ``buffer_size`` entries are kept.

        :param path: Source file, or a binary file object open for reading.
        :param policies: What this buffer's parameters mean (as given to :meth:`save`); each entry the file also
            records must be equal (files written without one are not checked for it).
        :raises ValueError: When the file is not a policy buffer, holds policies of another shape or meaning, or comes
            from a newer version.
        """
        name = os.fspath(path) if isinstance(path, (str, os.PathLike)) else repr(path)
        not_a_buffer = f"{name} is not a policy buffer (a file written by save_policy_buffer)"
        try:
            data = np.load(path, allow_pickle=False)
        except ValueError as error:  # pickled data (an SB3 replay buffer, say) or another format
            raise ValueError(f"{not_a_buffer}: it is not a NumPy file (pickled data or another format)") from error
        except (EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{not_a_buffer}: it is empty or cut short ({error})") from error
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{not_a_buffer}: it holds a single array")
        if "format_version" not in data.files:
            data.close()
            raise ValueError(f"{not_a_buffer}: it holds {sorted(data.files)[:5]}")
        with data:
            version = int(data["format_version"])
            if version != _FORMAT_VERSION:
                raise ValueError(f"{name} is a policy buffer of format {version}; this version reads format {_FORMAT_VERSION}")
            n_params = int(data["n_params"])
            if n_params != self.n_params:
                raise ValueError(f"{name} holds policies with {n_params} parameters, this model's have {self.n_params}")
            stored_sizes = tuple(int(size) for size in data["layer_sizes"])
            if stored_sizes and self.layer_sizes is not None and stored_sizes != self.layer_sizes:
                raise ValueError(
                    f"{name} holds policies with layers {list(stored_sizes)}, this model's are {list(self.layer_sizes)}"
                )
            for key, expected in (policies or {}).items():
                stored_key = f"policies_{key}"
                if stored_key in data.files and not np.array_equal(data[stored_key], np.asarray(expected)):
                    raise ValueError(
                        f"{name} holds policies with {key} {data[stored_key].tolist()}, this model's have "
                        f"{np.asarray(expected).tolist()}: are they of another task, or of other policy_kwargs or "
                        "alive_bonus_offset?"
                    )
            stored_dtype = str(data["storage_dtype"])
            params = th.from_numpy(data["params"])
            if stored_dtype == "bfloat16":
                params = params.view(th.bfloat16)
            returns = th.from_numpy(data["returns"])
        try:
            self.set_entries(params, returns)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None

    def set_entries(self, params: th.Tensor, returns: th.Tensor) -> None:
        """
        Replace the contents with these entries (oldest first); the newest ``buffer_size`` are kept.

        :param params: Parameters ``(n, n_params)``, any floating dtype and device.
        :param returns: Their returns ``(n,)``.
        :raises ValueError: When the policies have another number of parameters, the parameters and the returns are
            not one row and one return per policy, or an entry cannot be trained on (a return beyond
            :data:`~sb3_gogepo.validation.MAX_TRAINING_MAGNITUDE` or a parameter that is not finite in the buffer's
            dtype; only the entries kept are checked); the buffer is then left as it was.
        """
        if params.dim() != 2 or returns.dim() != 1 or len(params) != len(returns):
            raise ValueError(
                f"Policies need one row of parameters and one return each, got parameters of shape {tuple(params.shape)} "
                f"and returns of shape {tuple(returns.shape)}"
            )
        if params.shape[-1] != self.n_params:
            raise ValueError(f"Policies with {params.shape[-1]} parameters, this buffer's have {self.n_params}")
        params, returns = params[-self.buffer_size :].to(self.params.dtype), returns[-self.buffer_size :]
        unusable = ~(returns.abs() <= MAX_TRAINING_MAGNITUDE)  # NaN too
        if unusable.any():
            raise ValueError(
                f"{int(unusable.sum())} return(s) cannot be trained on (e.g. {float(returns[unusable][0]):g}; "
                f"NaN, infinite or of magnitude above {MAX_TRAINING_MAGNITUDE:g})"
            )
        if not th.isfinite(params).all():
            raise ValueError(f"some policy parameters are NaN or infinite, or beyond the range of {self.params.dtype}")
        count = len(returns)
        self.params[:count].copy_(params)
        self.returns[:count].copy_(returns)
        self.full = count == self.buffer_size
        self.pos = 0 if self.full else count


def device_memory(device: th.device) -> int | None:
    """
    :param device: A torch device.
    :return: Its total memory in bytes (a CPU's: the machine's physical memory), or None where it cannot be read.
    """
    if device.type == "cuda":
        return int(th.cuda.get_device_properties(device).total_memory)
    if device.type == "cpu" and hasattr(os, "sysconf"):
        try:
            return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError):
            return None
    return None


def _check_fits(buffer_size: int, n_params: int, storage_dtype: str, device: th.device) -> None:
    """Refuse a buffer that could never fit in the device's memory, before allocating it (the allocation is lazy)."""
    memory = device_memory(device)
    # Parameters, returns and sampling weights (float32), and the float64 ages they are made from.
    needed = buffer_size * (n_params * BUFFER_DTYPES[storage_dtype].itemsize + 4 + 4 + 8)
    if memory is not None and needed > memory:
        raise ValueError(
            f"buffer_size={buffer_size} needs {needed / 2**30:.1f} GiB for the policy buffer ({n_params} parameters per "
            f"policy in {storage_dtype}), more than the {memory / 2**30:.1f} GiB of memory of the {device.type} device: "
            "lower buffer_size, or store the parameters in 16 bits (buffer_dtype='float16')"
        )

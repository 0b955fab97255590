"""Nothing lost, nothing silent: saves that fail halfway, interrupted training, bad numbers and bad arguments."""

import errno
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch as th

from sb3_gogepo import GoGePo, GoGePoPolicy
from tests.conftest import small_kwargs

# ----------------------------------------------------------------------------- atomic saves


def _half_then_disk_full(data: bytes, file: Any) -> None:
    if isinstance(file, (str, os.PathLike)):
        with open(file, "wb") as opened:
            _half_then_disk_full(data, opened)
    file.write(data[: len(data) // 2])
    raise OSError(errno.ENOSPC, "No space left on device")


def _failing_torch_save(save: Callable[..., Any]) -> Callable[..., None]:
    def save_half(obj: Any, file: Any, *args: Any, **kwargs: Any) -> None:
        data = io.BytesIO()
        save(obj, data, *args, **kwargs)
        _half_then_disk_full(data.getvalue(), file)

    return save_half


def _failing_savez(savez: Callable[..., Any]) -> Callable[..., None]:
    def savez_half(file: Any, **arrays: Any) -> None:
        data = io.BytesIO()
        savez(data, **arrays)
        _half_then_disk_full(data.getvalue(), file)

    return savez_half


#: For each writer: save, what the saved file loads as, the function that writes it (module, name, its failing
#: replacement) and the file's name.
SAVES: dict[str, tuple[Callable[[GoGePo, Path], None], Callable[[Path], Any], Any, str, Callable[..., Any], str]] = {
    "model": (
        lambda model, path: model.save(path),
        lambda path: GoGePo.load(path).num_timesteps,
        th,
        "save",
        _failing_torch_save,
        "model.zip",
    ),
    "policy": (
        lambda model, path: model.policy.save(path),
        lambda path: float(GoGePoPolicy.load(str(path)).best_return),
        th,
        "save",
        _failing_torch_save,
        "policy.pth",
    ),
    "policy buffer": (
        lambda model, path: model.save_policy_buffer(path),
        lambda path: _buffer_size(path),
        np,
        "savez",
        _failing_savez,
        "buffer.npz",
    ),
}


def _buffer_size(path: Path) -> int:
    model = GoGePo("Pendulum-v1", **small_kwargs())
    model.load_policy_buffer(path)
    assert model.policy_buffer is not None
    return model.policy_buffer.size()


@pytest.mark.parametrize("writer", ["model", "policy", "policy buffer"])
def test_a_save_that_fails_halfway_leaves_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    save, load, module, function, failing, name = SAVES[writer]
    model = GoGePo("Pendulum-v1", **small_kwargs(), seed=0).learn(400)
    path = tmp_path / name
    save(model, path)
    saved = load(path)
    model.learn(400, reset_num_timesteps=False)  # the next save would hold something else
    monkeypatch.setattr(module, function, failing(getattr(module, function)))
    with pytest.raises(OSError, match="No space left"):
        save(model, path)
    monkeypatch.undo()
    assert load(path) == saved
    assert os.listdir(tmp_path) == [name]  # no half-written temporary file left behind

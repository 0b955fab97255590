import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch as th

from sb3_gogepo.buffers import PolicyBuffer


def _filled(n: int, capacity: int = 5, **kwargs) -> PolicyBuffer:
    buffer = PolicyBuffer(capacity, 3, **kwargs)
    for i in range(n):
        buffer.add(th.full((3,), float(i)), float(i))
    return buffer


def test_keeps_the_newest_entries_up_to_its_capacity() -> None:
    buffer = _filled(7)
    assert buffer.size() == 5
    params, returns = buffer.ordered()
    assert returns.tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert params[:, 0].tolist() == returns.tolist()


def _sampling_frequencies(buffer: PolicyBuffer, n_draws: int = 200_000) -> th.Tensor:
    """:return: How often each storage index was drawn, as a fraction of the draws."""
    th.manual_seed(0)
    return th.bincount(buffer.sample_indices(n_draws), minlength=buffer.buffer_size).double() / n_draws


def test_entries_are_drawn_with_weights_one_over_age_to_the_power_1_1() -> None:
    buffer = _filled(7)
    ages = 7 - buffer.returns  # the entry with return i was stored 7 - i episodes ago (newest: age 1)
    expected = ages.double().pow(-1.1)
    th.testing.assert_close(_sampling_frequencies(buffer), expected / expected.sum(), atol=5e-3, rtol=0)


def test_recency_exponent_zero_is_uniform() -> None:
    buffer = _filled(4, capacity=4, recency_exponent=0.0)
    th.testing.assert_close(_sampling_frequencies(buffer), th.full((4,), 0.25, dtype=th.float64), atol=5e-3, rtol=0)


def test_sampled_returns_are_stored_returns() -> None:
    returns = _filled(4).sample_returns(32)
    assert returns.shape == (32,) and set(returns.tolist()) <= {0.0, 1.0, 2.0, 3.0}


def test_sampling_an_empty_buffer_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="empty"):
        PolicyBuffer(4, 3).sample_indices(2)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_save_and_load_round_trip_without_pickle(tmp_path, dtype: str) -> None:
    buffer = PolicyBuffer(4, 3, storage_dtype=dtype)
    for i in range(6):
        buffer.add(th.randn(3), float(i))
    path = tmp_path / "buffer.npz"
    buffer.save(path)
    with np.load(path, allow_pickle=False) as data:  # raises if anything needs unpickling
        assert data["returns"].tolist() == [2.0, 3.0, 4.0, 5.0]
    with zipfile.ZipFile(path) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    restored = PolicyBuffer(4, 3, storage_dtype=dtype)
    restored.load(path)
    for a, b in zip(buffer.ordered(), restored.ordered()):
        assert th.equal(a, b)


def test_loading_keeps_the_newest_entries_when_the_file_holds_more(tmp_path) -> None:
    _filled(5).save(tmp_path / "b.npz")
    smaller = PolicyBuffer(3, 3)
    smaller.load(tmp_path / "b.npz")
    assert smaller.ordered()[1].tolist() == [2.0, 3.0, 4.0]
    smaller.add(th.zeros(3), 9.0)
    assert smaller.ordered()[1].tolist() == [3.0, 4.0, 9.0]


def test_loading_a_buffer_of_another_policy_size_is_an_error(tmp_path) -> None:
    _filled(2).save(tmp_path / "b.npz")
    with pytest.raises(ValueError, match="3 parameters"):
        PolicyBuffer(4, 5).load(tmp_path / "b.npz")


def test_loading_policies_of_other_layers_with_the_same_parameter_count_is_an_error(tmp_path) -> None:
    # [3, 8, 1] and [3, 2, 8, 1] both have 41 parameters: the vectors would be read with the wrong layer boundaries.
    PolicyBuffer(4, 41, layer_sizes=[3, 8, 1]).save(tmp_path / "b.npz")
    with pytest.raises(ValueError, match=r"layers \[3, 8, 1\], this model's are \[3, 2, 8, 1\]"):
        PolicyBuffer(4, 41, layer_sizes=[3, 2, 8, 1]).load(tmp_path / "b.npz")
    PolicyBuffer(4, 41, layer_sizes=[3, 8, 1]).load(tmp_path / "b.npz")


def test_buffers_of_another_format_are_refused_with_its_version(tmp_path) -> None:
    buffer = _filled(2)
    buffer.save(tmp_path / "b.npz")
    with np.load(tmp_path / "b.npz") as data:
        arrays = {key: data[key] for key in data.files}
    np.savez(tmp_path / "newer.npz", **{**arrays, "format_version": np.array(99)})
    with pytest.raises(ValueError, match="format 99"):
        PolicyBuffer(4, 3).load(tmp_path / "newer.npz")
    version_1 = {key: value for key, value in arrays.items() if key != "layer_sizes"}
    np.savez(tmp_path / "v1.npz", **{**version_1, "format_version": np.array(1)})
    with pytest.raises(ValueError, match="format 1; this version reads format 2"):
        PolicyBuffer(4, 3).load(tmp_path / "v1.npz")


def _write(path: Path, save: Callable[[Any], Any]) -> None:
    with open(path, "wb") as file:
        save(file)


@pytest.mark.parametrize(
    "save, reason",
    [
        (lambda file: pickle.dump({"observations": np.zeros(3)}, file), "it is not a NumPy file"),  # an SB3 replay buffer
        (lambda file: file.write(b"timesteps,mean_return\n"), "it is not a NumPy file"),
        (lambda file: None, "it is empty or cut short"),
        (lambda file: np.save(file, np.zeros(3)), "it holds a single array"),
        (lambda file: np.savez(file, data=np.zeros(3)), r"it holds \['data'\]"),  # a zip of other files: a model, say
    ],
)
def test_a_file_that_is_not_a_policy_buffer_is_refused(tmp_path: Path, save: Callable[[Any], Any], reason: str) -> None:
    # Before: a KeyError on 'format_version', numpy's advice to allow pickles, or a bare EOFError.
    _write(tmp_path / "other.npz", save)
    with pytest.raises(ValueError, match=f"is not a policy buffer .*: {reason}"):
        _filled(2).load(tmp_path / "other.npz")


def test_half_precision_storage_halves_memory_and_keeps_values_close() -> None:
    full, half = PolicyBuffer(10, 1000), PolicyBuffer(10, 1000, storage_dtype="float16")
    assert half.params.element_size() * 2 == full.params.element_size()
    theta = th.randn(1000) * 0.1
    half.add(theta, 1.0)
    th.testing.assert_close(half.params[half.sample_indices(1)][0].float(), theta, rtol=1e-3, atol=1e-4)


def test_a_sample_gives_each_drawn_policy_once_and_every_draw_its_return() -> None:
    th.manual_seed(0)
    samples = _filled(4).sample(32)
    assert samples.returns.shape == (32,) and samples.params.dtype == th.float32
    assert len(samples.params) == len(th.unique(samples.params[:, 0])) <= 4  # distinct policies
    # policy i was stored with return i in every parameter: each draw's policy carries its return
    assert th.equal(samples.params[samples.policy_index, 0], samples.returns)


def test_parameters_beyond_the_storage_dtypes_range_are_not_stored() -> None:
    buffer = PolicyBuffer(4, 3, storage_dtype="float16")
    assert buffer.add(th.tensor([1.0, 2.0, 3.0]), 1.0)
    assert not buffer.add(th.tensor([1.0, 1e5, 3.0]), 2.0)  # float16 ends at 65504
    assert buffer.size() == 1 and buffer.ordered()[1].tolist() == [1.0]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_a_pickled_buffer_holds_its_entries_on_the_cpu_not_its_whole_allocation(dtype: str) -> None:
    small, large = PolicyBuffer(3, 64, storage_dtype=dtype), PolicyBuffer(100_000, 64, storage_dtype=dtype)
    for index in range(5):
        small.add(th.full((64,), float(index)), float(index))
        large.add(th.full((64,), float(index)), float(index))
    assert len(pickle.dumps(large)) < 2 * len(pickle.dumps(small)) + 10_000  # 100 000 x 64 floats would be 25 MB
    state = large.__getstate__()
    assert state["device"] == th.device("cpu") and all(tensor.device.type == "cpu" for tensor in state["entries"])
    restored = pickle.loads(pickle.dumps(large))
    assert restored.size() == 5 and restored.buffer_size == 100_000 and restored.storage_dtype == dtype
    assert all(th.equal(a, b) for a, b in zip(restored.ordered(), large.ordered()))
    th.manual_seed(0)
    drawn = large.sample_indices(50)
    th.manual_seed(0)
    assert th.equal(restored.sample_indices(50), drawn)  # the same recency weights and positions
    restored.add(th.zeros(64), 9.0)
    assert restored.ordered()[1].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 9.0]


@pytest.mark.parametrize("n_params_rows, n_returns", [(1, 3), (3, 2)])
def test_entries_need_one_row_of_parameters_per_return(n_params_rows: int, n_returns: int) -> None:
    # Before, one row with three returns became three copies of one policy, and 3 rows with 2 returns a torch error.
    buffer = _filled(2)
    with pytest.raises(ValueError, match="one row of parameters and one return each"):
        buffer.set_entries(th.zeros(n_params_rows, 3), th.zeros(n_returns))
    assert buffer.ordered()[1].tolist() == [0.0, 1.0]


def test_entries_beyond_the_storage_dtypes_range_are_refused_as_they_would_be_stored() -> None:
    # Before, the check ran before the conversion, and 1e5 became inf in a float16 buffer, to fail in training later.
    buffer = _filled(2, storage_dtype="float16")
    with pytest.raises(ValueError, match=r"beyond the range of torch\.float16"):
        buffer.set_entries(th.full((3, 3), 1e5), th.zeros(3))
    assert buffer.ordered()[1].tolist() == [0.0, 1.0]

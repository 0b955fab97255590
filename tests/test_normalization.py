"""The running observation statistics applied inside every generated policy."""

import numpy as np
import torch as th

from sb3_gogepo.normalization import ObservationNormalizer


def test_statistics_are_those_of_all_committed_observations() -> None:
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, (n, 4)) for n in (5, 4000, 300)]  # the middle one overflows the row buffer
    normalizer = ObservationNormalizer(4)
    observations = th.as_tensor(batches[0], dtype=th.float32)
    assert th.equal(normalizer(observations), observations)  # the identity until the first commit
    for batch in batches:
        for row in batch:
            normalizer.accumulate(row[None])
        assert normalizer.commit() == 0
    everything = np.concatenate(batches)
    np.testing.assert_allclose(normalizer.mean.numpy(), everything.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(normalizer.std.numpy(), everything.std(axis=0), rtol=1e-5)
    assert normalizer.version == 3


def test_non_finite_observations_are_left_out_and_counted() -> None:
    normalizer = ObservationNormalizer(2)
    normalizer.accumulate(np.array([[1.0, 2.0], [np.nan, 0.0], [3.0, np.inf], [3.0, 4.0]]))
    assert normalizer.commit() == 2
    np.testing.assert_allclose(normalizer.mean.numpy(), [2.0, 3.0])
    np.testing.assert_allclose(normalizer.std.numpy(), [1.0, 1.0], rtol=1e-6)
    assert normalizer.commit() == 0  # counted once


def test_statistics_keep_their_precision_under_a_large_mean() -> None:
    # Sums of squares minus the squared mean lose the variance when the mean dwarfs the spread.
    rng = np.random.default_rng(1)
    observations = 1e8 + rng.normal(0.0, 1.0, (3000, 1))
    normalizer = ObservationNormalizer(1)
    for start in range(0, 3000, 1000):
        normalizer.accumulate(observations[start : start + 1000])
        normalizer.commit()
    np.testing.assert_allclose(normalizer.running_var.numpy(), observations.var(axis=0), rtol=1e-6)


def test_observations_whose_squares_overflow_are_left_out_like_non_finite_ones() -> None:
    normalizer = ObservationNormalizer(2)
    normalizer.accumulate(np.array([[1.0, 2.0], [1e160, 0.0], [3.0, 4.0]]))
    assert normalizer.commit() == 1
    assert np.isfinite(normalizer.running_var.numpy()).all()
    np.testing.assert_allclose(normalizer.mean.numpy(), [2.0, 3.0])

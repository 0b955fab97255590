"""Running observation statistics of the training observations, applied inside every generated policy."""

import math

import numpy as np
import torch as th
from torch import nn

from sb3_gogepo.validation import MAX_TRAINING_MAGNITUDE


class ObservationNormalizer(nn.Module):
    """
    ``(obs - mean) / sqrt(var + eps)`` with running statistics over all training observations.

    Observations are accumulated as they are acted on and merged into the statistics by :meth:`commit`, which
    the algorithm calls whenever an episode ends; until the first commit the map is the identity (the authors'
    code starts normalising after the first episode). Evaluation and prediction never change the statistics.

    :param n_features: Observation size.
    :param enabled: If False the map is always the identity.
    :param epsilon: Added to the variance.
    """

    count: th.Tensor
    running_mean: th.Tensor
    running_var: th.Tensor
    mean: th.Tensor
    std: th.Tensor

    def __init__(self, n_features: int, enabled: bool = True, epsilon: float = 1e-8) -> None:
        super().__init__()
        self.enabled = enabled
        self.epsilon = epsilon
        self.register_buffer("count", th.zeros((), dtype=th.float64))
        self.register_buffer("running_mean", th.zeros(n_features, dtype=th.float64))
        self.register_buffer("running_var", th.ones(n_features, dtype=th.float64))
        self.register_buffer("mean", th.zeros(n_features))
        self.register_buffer("std", th.ones(n_features))
        # Plain object, not module attributes: nn.Module.__setattr__ is slow, and accumulate runs at every env step.
        self._pending = _PendingObservations(n_features)
        #: Incremented whenever the applied statistics change (commit or load).
        self.version = 0
        #: The largest magnitude among the values the last commit left out (NaN if they were all NaN, or none was).
        self.largest_left_out = math.nan

    def accumulate(self, observations: np.ndarray) -> None:
        """:param observations: A batch ``(n, n_features)`` of training observations, not yet committed."""
        if self.enabled:
            self._pending.add(observations)

    def commit(self) -> int:
        """
        Merge the accumulated observations into the statistics (Chan et al.'s parallel update). Observations with a
        NaN, infinite or too large value (magnitude above :data:`~sb3_gogepo.validation.MAX_TRAINING_MAGNITUDE`) are left
        out, so that one bad observation cannot poison every later policy; :attr:`largest_left_out` says how bad.

        :return: The number of observations left out.
        """
        if not self.enabled:
            return 0
        batch_mean, batch_var, n, dropped, self.largest_left_out = self._pending.take()
        if n == 0:
            return dropped
        total, new_mean, new_var = merge_moments(
            float(self.count), self.running_mean.cpu().numpy(), self.running_var.cpu().numpy(), n, batch_mean, batch_var
        )
        self.count.fill_(total)
        self.running_mean.copy_(th.from_numpy(new_mean))
        self.running_var.copy_(th.from_numpy(new_var))
        self.mean.copy_(self.running_mean.float())
        self.std.copy_(th.sqrt(self.running_var + self.epsilon).float())
        self.version += 1
        return dropped

    def forward(self, observations: th.Tensor) -> th.Tensor:
        """
        :param observations: Observations ``(..., n_features)``.
        :return: Normalised observations (float32).
        """
        observations = observations.float()
        if not self.enabled:
            return observations
        return (observations - self.mean) / self.std

    def _load_from_state_dict(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super()._load_from_state_dict(*args, **kwargs)
        self.version += 1


def merge_moments(
    count: float, mean: np.ndarray, var: np.ndarray, n: float, batch_mean: np.ndarray, batch_var: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """
    Count, mean and (population) variance of two sets of observations together (Chan et al.'s parallel update).

    :param count: Size of the first set.
    :param mean: Its mean.
    :param var: Its variance.
    :param n: Size of the second set.
    :param batch_mean: Its mean.
    :param batch_var: Its variance.
    :return: Count, mean and variance of the union.
    """
    total = count + n
    delta = batch_mean - mean
    new_mean = mean + delta * n / total
    new_var = (var * count + batch_var * n + np.square(delta) * count * n / total) / total
    return total, new_mean, new_var


class _PendingObservations:
    """Observations acted on since the last commit: copied into rows (cheap per step), their moments taken in bulk."""

    def __init__(self, n_features: int) -> None:
        self.rows = np.empty((4096, n_features))
        self.n_rows = 0
        self.count = 0.0
        self.mean = np.zeros(n_features)
        self.var = np.zeros(n_features)
        self.dropped = 0
        self.largest_dropped = math.nan  # NaN while only NaN observations were left out

    def add(self, observations: np.ndarray) -> None:
        start = self.n_rows
        stop = start + len(observations)
        if stop > len(self.rows):
            self.fold()
            start, stop = 0, len(observations)
            if stop > len(self.rows):
                self.rows = np.empty((stop, self.rows.shape[1]))
        self.rows[start:stop] = observations
        self.n_rows = stop

    def fold(self) -> None:
        rows = self.rows[: self.n_rows]
        self.n_rows = 0
        usable = (np.abs(rows) <= MAX_TRAINING_MAGNITUDE).all(axis=1)  # False for NaN too
        if not usable.all():
            self.dropped += int(len(rows) - usable.sum())
            magnitudes = np.abs(rows[~usable])
            magnitudes = magnitudes[magnitudes > MAX_TRAINING_MAGNITUDE]  # not NaN
            if len(magnitudes):
                self.largest_dropped = float(np.fmax(self.largest_dropped, magnitudes.max()))
            rows = rows[usable]
        if len(rows) == 0:
            return
        # Centred per chunk (two passes), not sums of squares: those lose the variance under a large mean.
        self.count, self.mean, self.var = merge_moments(
            self.count, self.mean, self.var, len(rows), rows.mean(axis=0), rows.var(axis=0)
        )

    def take(self) -> tuple[np.ndarray, np.ndarray, float, int, float]:
        """
        :return: Mean, variance and number of the usable observations, the number left out and the largest magnitude
            among their values; then empty.
        """
        self.fold()
        taken = (self.mean, self.var, self.count, self.dropped, self.largest_dropped)
        self.mean, self.var = np.zeros_like(self.mean), np.zeros_like(self.var)
        self.count, self.dropped, self.largest_dropped = 0.0, 0, math.nan
        return taken

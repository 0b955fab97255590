"""
Performance of this package, apart from the paper's protocol (:mod:`benchmarks.run`, :mod:`benchmarks.report`):
how fast and in how much memory GoGePo trains, and whether its fast mode learns as well as the exact one.

Each module is a script, ``python -m benchmarks.performance.<name>``, that writes its table into
``benchmarks/results/`` (``docs/guide/performance.rst`` says what each one answers):
:mod:`~benchmarks.performance.speed` (update block, acting, episode end), :mod:`~benchmarks.performance.block_ab`
(one commit's update block against another's), :mod:`~benchmarks.performance.learn_ab` (the same for training as a
whole), :mod:`~benchmarks.performance.profile_block` (where a block spends
its time), :mod:`~benchmarks.performance.rollout` (everything per step but the block),
:mod:`~benchmarks.performance.memory` (peak memory, buffer storage dtypes), :mod:`~benchmarks.performance.end_to_end`
(training throughput beside ARS and DDPG) and :mod:`~benchmarks.performance.fast_mode` (fast against exact mode,
learning curves and final returns).
"""

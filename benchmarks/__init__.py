"""
Benchmarks of sb3-gogepo, built on the package's public API.

The paper's protocol is at the top level: the runner (:mod:`benchmarks.run`, with :mod:`benchmarks.ray_executor` and
the search :mod:`benchmarks.tune`), the report of Table 1 and Figures 2-4 (:mod:`benchmarks.report`) and the
diagnostics whose tables the report shows (:mod:`benchmarks.ddpg_saturation`, :mod:`benchmarks.training_returns`,
:mod:`benchmarks.seen_range_sweep`, :mod:`benchmarks.faithfulness`, :mod:`benchmarks.command_input`), and the
authors' code run on today's stack (:mod:`benchmarks.authors_code`, :mod:`benchmarks.authors_script`).
:mod:`benchmarks.performance` holds the speed and memory scripts. What they share is in :mod:`benchmarks.common`.
"""

"""
Distributed hyperparameter search for GoGePo on a Ray cluster: Ray Tune with Optuna's sampler and ASHA early stopping.

Every trial is a benchmark run (:func:`benchmarks.run.run_one`: the environment's entry of ``hyperparams/gogepo.yml``,
the runner's evaluation protocol) with hyperparameters drawn from the search space of the zoo's own sampler,
:func:`sb3_gogepo.zoo.sampler.sample_gogepo_params` (called on Tune's Optuna trial, so the two searches cannot drift apart).
Each evaluation is reported to Tune; ASHA stops the trials whose evaluation return (``mean_return``) lags at its
rungs (from ``--grace-period`` steps on, a third kept at each rung). The best trial is the one with the highest
final return (mean of its last 20 evaluations) among the trials that ran their whole budget, and its configuration
is printed as an entry for ``hyperparams/gogepo.yml``.

Examples::

    python -m benchmarks.tune --env MountainCarContinuous-v0 --trials 20 --budget 20000 --executor ray
    python -m benchmarks.tune --env swimmer --trials 64 --budget 300000 --executor ray --address auto \\
        --results-dir /shared/tune --cpus-per-trial 1

Run folders go to ``<results-dir>/<name>/<trial id>/`` (the runner's layout), Tune's files to ``--storage-path``
(default ``<results-dir>/ray_tune``); running the same command again restores an interrupted search. Without Ray, the
zoo's ``python -m sb3_gogepo.train --algo gogepo --env ... -optimize --storage study.log --study-name NAME`` runs the
same search space in Optuna, and several such processes (on machines sharing the journal file) share one study.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from benchmarks.ray_executor import default_storage_path, evaluation_metrics, fit_or_restore, ray_cluster
from benchmarks.run import (
    CSV_FILE,
    RunSpec,
    canonical_env,
    default_eval_freq,
    final_return,
    non_negative_int,
    paper_budget,
    positive_int,
    read_rows,
    resolve_budget,
    run_one,
)

#: Metric that ASHA and the searcher compare: the mean evaluation return of the latest evaluation.
METRIC = "mean_return"
#: Default folder of the search's run folders (``logs/`` stays out of git).
TUNE_DIR = Path("logs") / "tune"


def search_space(trial: Any) -> None:
    """
    Tune's define-by-run search space: the zoo's sampler, :func:`sb3_gogepo.zoo.sampler.sample_gogepo_params`.

    :param trial: The Optuna trial (Tune's wrapper of it).
    """
    from sb3_gogepo.zoo import sample_gogepo_params

    sample_gogepo_params(trial, n_actions=1, n_envs=1, additional_args={})


def hyperparams_of(config: dict[str, Any], env_id: str) -> dict[str, Any]:
    """
    :param config: A trial's configuration: the values the sampler drew (``trial.params``).
    :param env_id: The environment, whose YAML entry's ``policy_kwargs`` the sampled network sizes join (so that the
        entry's ``command_scale`` and other settings stay).
    :return: GoGePo's constructor arguments for them (what the zoo's sampler returns for the same draws).
    """
    import optuna

    from benchmarks.run import yaml_entry as config_entry  # this module's yaml_entry prints one
    from sb3_gogepo.zoo import sample_gogepo_params
    from sb3_gogepo.zoo.manager import zoo_policy_kwargs
    from sb3_gogepo.zoo.sampler import join_policy_kwargs

    trial: Any = optuna.trial.FixedTrial(config)  # answers the sampler's suggest_* calls with the drawn values
    hyperparams = sample_gogepo_params(trial, n_actions=1, n_envs=1, additional_args={})
    return join_policy_kwargs(hyperparams, zoo_policy_kwargs(config_entry("gogepo", env_id).get("policy_kwargs", {})))


def trial_spec(base: RunSpec, config: dict[str, Any], trial_id: str) -> RunSpec:
    """:return: The benchmark run of a trial: ``base`` with the trial's hyperparameters, in the trial's own folder."""
    hyperparams = hyperparams_of(config, base.env_id)
    return dataclasses.replace(base, hyperparams=hyperparams, results_dir=base.results_dir / trial_id)


def tune_trainable(config: dict[str, Any], base: RunSpec) -> None:
    """
    Tune's function trainable of a search trial: one benchmark run, reporting each evaluation to Tune.

    :param config: The values the sampler drew.
    :param base: The run without the trial's hyperparameters (given with :func:`ray.tune.with_parameters`).
    """
    from ray import tune

    spec = trial_spec(base, config, tune.get_context().get_trial_id())
    status = run_one(spec, lambda row: tune.report(evaluation_metrics(row)))
    if status == "skipped":  # finished by an interrupted attempt at the search
        rows = read_rows(spec.run_dir / CSV_FILE)
        tune.report(evaluation_metrics(rows[-1]))
    elif status != "finished":
        raise RuntimeError(f"{spec.run_dir}: run {status}")


def _yaml_scalar(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def _python_literal(value: Any) -> str:
    if isinstance(value, type):
        return f"nn.{value.__name__}"
    return repr(value)


def yaml_entry(env_id: str, hyperparams: dict[str, Any], comment: str = "") -> str:
    """
    An entry of ``hyperparams/gogepo.yml``: the paper's defaults (``<<: *paper``), the environment's budget and the
    given hyperparameters (``policy_kwargs`` as the zoo's ``dict(...)`` string).

    :param env_id: The environment.
    :param hyperparams: GoGePo constructor arguments.
    :param comment: Lines put above the entry as YAML comments.
    :return: The entry's text.
    """
    lines = [f"# {line}" for line in comment.splitlines()]
    lines += [f"{env_id}:", "  <<: *paper", f"  n_timesteps: {_yaml_scalar(float(paper_budget('gogepo', env_id)))}"]
    for key, value in sorted(hyperparams.items()):
        if key == "policy_kwargs":
            arguments = ", ".join(f"{name}={_python_literal(item)}" for name, item in value.items())
            lines.append(f'  {key}: "dict({arguments})"')
        else:
            lines.append(f"  {key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


@dataclasses.dataclass
class SearchResult:
    """Outcome of a search."""

    #: The best trial's sampled values (``trial.params``), its GoGePo arguments and its final return.
    best_config: dict[str, Any]
    best_hyperparams: dict[str, Any]
    best_final_return: float
    #: The best trial's run folder.
    best_run_dir: Path
    #: Trials run, and how many ran their whole budget (the others were stopped by ASHA or failed).
    n_trials: int
    n_complete: int
    #: The entry for ``hyperparams/gogepo.yml``.
    yaml: str


def search(
    env_id: str,
    n_trials: int,
    budget: int,
    eval_freq: int,
    n_eval_episodes: int = 10,
    seed: int = 0,
    results_dir: Path = TUNE_DIR,
    storage_path: str | None = None,
    address: str | None = None,
    cpus_per_trial: int = 1,
    grace_period: int = 0,
    name: str = "",
) -> SearchResult:
    """
    Search GoGePo's hyperparameters with Ray Tune (``OptunaSearch`` over the zoo's sampler, ASHA on ``mean_return``).

    :param env_id: The environment.
    :param n_trials: Number of trials.
    :param budget: Environment steps of a trial that ASHA lets run to the end.
    :param eval_freq: Steps between evaluations (each is a report to Tune, and a point where ASHA may stop a trial).
    :param n_eval_episodes: Episodes of an evaluation.
    :param seed: Seed of every trial's run and of Optuna's sampler.
    :param results_dir: Folder of the trials' run folders (``<results-dir>/<name>/<trial id>/``).
    :param storage_path: Tune's experiment folder (default ``<results-dir>/ray_tune``).
    :param address: Ray cluster to join (``"auto"``, ``HOST:PORT``); None starts one on this machine.
    :param cpus_per_trial: CPUs (and torch threads) of a trial.
    :param grace_period: Steps every trial runs before ASHA may stop it (default: a tenth of the budget, at least one
        evaluation interval).
    :param name: Name of the search (default ``gogepo-<env>-<trials>x<budget>-seed<seed>``); the same name restores it.
    :return: The best configuration and its YAML entry.
    """
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.optuna import OptunaSearch

    name = name or f"gogepo-{env_id}-{n_trials}x{budget}-seed{seed}"
    results_dir = Path(results_dir).resolve()
    base = RunSpec(
        algo="gogepo",
        env_id=env_id,
        seed=seed,
        budget=budget,
        budget_name=str(budget),
        eval_freq=eval_freq,
        n_eval_episodes=n_eval_episodes,
        results_dir=results_dir / name,
        threads=cpus_per_trial,
    )
    with ray_cluster(address):
        grace = grace_period or max(budget // 10, eval_freq)
        results = fit_or_restore(
            tune.with_resources(tune.with_parameters(tune_trainable, base=base), {"cpu": cpus_per_trial}),
            param_space={},
            tune_config=tune.TuneConfig(
                num_samples=n_trials,
                search_alg=OptunaSearch(space=search_space, metric=METRIC, mode="max", seed=seed),
                scheduler=ASHAScheduler(
                    time_attr="timesteps",
                    metric=METRIC,
                    mode="max",
                    max_t=budget,
                    grace_period=min(grace, budget),
                    reduction_factor=3,
                ),
            ),
            run_config=tune.RunConfig(name=name, storage_path=storage_path or default_storage_path(results_dir)),
        )
    candidates = []
    for result in results:
        if result.error is not None or not result.metrics:
            continue
        spec = trial_spec(base, result.config, result.metrics["trial_id"])
        rows = read_rows(spec.run_dir / CSV_FILE)
        complete = bool(rows) and rows[-1]["timesteps"] >= budget
        candidates.append((complete, final_return(rows), result.config, spec))
    if not candidates:
        raise RuntimeError(f"no trial of {results.experiment_path} reported an evaluation")
    n_complete = sum(complete for complete, *_ in candidates)
    complete, best_return, best_config, best_spec = max(candidates, key=lambda candidate: candidate[:2])
    hyperparams = hyperparams_of(best_config, env_id)
    comment = (
        f"python -m benchmarks.tune: best of {len(results)} trials ({n_complete} ran their {budget} steps), seed {seed},\n"
        f"final return {best_return:.1f} (mean of the last 20 evaluations); run folder {best_spec.run_dir}.\n"
        "Keep the other keys of the existing entry (callback, ...)."
    )
    return SearchResult(
        best_config=dict(best_config),
        best_hyperparams=hyperparams,
        best_final_return=best_return,
        best_run_dir=best_spec.run_dir,
        n_trials=len(results),
        n_complete=n_complete,
        yaml=yaml_entry(env_id, hyperparams, comment),
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tune", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="env id or the runner's short name (swimmer, hopper, ...)")
    parser.add_argument("--trials", type=positive_int, default=20, help="number of trials")
    parser.add_argument("--budget", default="reduced", help="steps of a full trial: 'reduced', 'paper' or a number")
    parser.add_argument(
        "--eval-freq", type=non_negative_int, default=0, help="steps between evaluations (default: the runner's)"
    )
    parser.add_argument("--n-eval-episodes", type=positive_int, default=10)
    parser.add_argument("--grace-period", type=non_negative_int, default=0, help="steps before ASHA may stop a trial")
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument("--executor", default="ray", choices=("ray",), help="only Ray (see the zoo's -optimize otherwise)")
    parser.add_argument("--address", default=None, help="Ray cluster to join ('auto', HOST:PORT); default: start one here")
    parser.add_argument("--results-dir", default=os.fspath(TUNE_DIR), help="folder of the trials' run folders")
    parser.add_argument("--storage-path", default=None, help="Ray Tune's experiment folder (default: <results-dir>/ray_tune)")
    parser.add_argument("--cpus-per-trial", type=positive_int, default=1, help="CPUs (and torch threads) of each trial")
    parser.add_argument("--name", default="", help="name of the search (the same name restores an interrupted one)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    env_id = canonical_env(args.env)
    budget = resolve_budget(args.budget, "gogepo", env_id)
    result = search(
        env_id,
        n_trials=args.trials,
        budget=budget,
        eval_freq=args.eval_freq or default_eval_freq(env_id, budget),
        n_eval_episodes=args.n_eval_episodes,
        seed=args.seed,
        results_dir=Path(args.results_dir),
        storage_path=args.storage_path,
        address=args.address,
        cpus_per_trial=args.cpus_per_trial,
        grace_period=args.grace_period,
        name=args.name,
    )
    print("\nBest configuration, as an entry of hyperparams/gogepo.yml:\n")
    print(result.yaml)
    return 0


if __name__ == "__main__":
    sys.exit(main())

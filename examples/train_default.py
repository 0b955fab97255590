"""Train GoGePo on a MuJoCo task with a progress bar, evaluate the generated policy and save the model.

python examples/train_default.py                      # Swimmer-v4, 300k steps (~10 min on 2 CPU cores)
python examples/train_default.py --env Hopper-v3 --timesteps 3000000
"""

import argparse
import os

import torch as th
from stable_baselines3.common.callbacks import EvalCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

from sb3_gogepo import GoGePo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="Swimmer-v4", help="Gymnasium environment id")
    parser.add_argument("--timesteps", type=int, default=300_000, help="Environment steps to train for")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-freq", type=int, default=50_000, help="Evaluate every this many steps")
    parser.add_argument("--output", default="logs/quickstart", help="Folder for the model and evaluations")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    args = parser.parse_args()

    th.set_num_threads(args.threads)
    os.makedirs(args.output, exist_ok=True)
    model = GoGePo("MlpPolicy", args.env, seed=args.seed, verbose=0)
    evaluation = EvalCallback(
        make_vec_env(args.env, seed=args.seed + 1000),
        eval_freq=args.eval_freq,
        n_eval_episodes=10,
        best_model_save_path=args.output,
        log_path=args.output,
        verbose=1,
    )
    model.learn(args.timesteps, callback=evaluation, progress_bar=True)
    path = os.path.join(args.output, f"gogepo_{args.env}.zip")
    model.save(path)

    mean, std = evaluate_policy(model, make_vec_env(args.env, seed=args.seed + 2000), n_eval_episodes=10)
    print(f"{args.env}: best training return {float(model.policy.best_return):.1f}")
    print(f"{args.env}: evaluation of the policy generated for it, 10 episodes: {mean:.1f} +/- {std:.1f}")
    print(f"model saved to {path}")


if __name__ == "__main__":
    main()

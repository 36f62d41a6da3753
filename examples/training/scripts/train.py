"""SageMaker script-mode training script: a gradient-boosted binary classifier (scikit-learn).

Contract (what SageMaker's training toolkit provides):
  SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION  folders of CSV files, label first, no header
  SM_MODEL_DIR                             saved here, tarred by SageMaker into model.tar.gz
  SM_OUTPUT_DATA_DIR (optional)            metrics.json, uploaded as output.tar.gz
  SM_INPUT_CONFIG_DIR/hyperparameters.json all values JSON-encoded strings; command-line
                                           `--name value` arguments override them
  SM_CHECKPOINT_DIR or /opt/ml/checkpoints synced to S3 by managed spot training; a restarted job
                                           resumes from the last checkpoint instead of starting over
Metrics are printed as `validation:auc=<float>;` lines for the training job's metric definitions.
"""
import argparse
import glob
import json
import os
import sys

import joblib
import numpy as np
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

MODEL_FILE = "model.joblib"
CHECKPOINT_FILE = "checkpoint.joblib"


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Each name is accepted with underscores (SageMaker's usual spelling) and with dashes.
    p.add_argument("--n_estimators", "--n-estimators", type=int, default=100)
    p.add_argument("--learning_rate", "--learning-rate", type=float, default=0.1)
    p.add_argument("--max_depth", "--max-depth", type=int, default=3)
    p.add_argument("--subsample", type=float, default=1.0)
    p.add_argument("--random_state", "--random-state", "--seed", type=int, default=0)
    p.add_argument("--checkpoint_every", "--checkpoint-every", type=int, default=10,
                   help="trees between checkpoints: the most work a spot interruption can lose")
    return p


def hyperparameters_as_args(config_dir):
    """hyperparameters.json as `--name value` arguments, so the parser converts its strings like the CLI's."""
    path = os.path.join(config_dir, "hyperparameters.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        hyperparameters = json.load(f)
    args = []
    for name, value in hyperparameters.items():
        if name.startswith("sagemaker_"):  # the toolkit's own settings (program, region, job name)
            continue
        # The SageMaker SDK JSON-encodes each value once more ('"0.1"'); plain strings ('0.1') stay as they are.
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                pass
        args += [f"--{name}", str(value)]
    return args


def parse_args(argv):
    p = parser()
    config_dir = os.environ.get("SM_INPUT_CONFIG_DIR", "/opt/ml/input/config")
    # The command line comes last, so it wins where both give a value.
    args, unknown = p.parse_known_args(hyperparameters_as_args(config_dir) + argv)
    if unknown:
        print(f"ignoring unknown hyperparameters: {unknown}")
    if args.n_estimators < 1 or args.checkpoint_every < 1:
        p.error("n_estimators and checkpoint_every must be at least 1")
    return args


def channel(name):
    directory = os.environ.get(f"SM_CHANNEL_{name.upper()}")
    if not directory or not os.path.isdir(directory):
        sys.exit(f"channel '{name}' is missing: set SM_CHANNEL_{name.upper()} to a folder of CSV files")
    paths = sorted(glob.glob(os.path.join(directory, "**", "*.csv"), recursive=True))
    if not paths:
        sys.exit(f"channel '{name}' ({directory}) holds no *.csv files")
    data = np.vstack([np.loadtxt(path, delimiter=",", ndmin=2) for path in paths])
    return data[:, 1:], data[:, 0].astype(int)


def checkpoint_dir():
    directory = os.environ.get("SM_CHECKPOINT_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        return directory
    # The default local path of CheckpointConfig; it only exists when the job has checkpointing on.
    return "/opt/ml/checkpoints" if os.path.isdir("/opt/ml/checkpoints") else None


def resume_or_create(args, directory):
    """The model in the checkpoint when it was trained with the same settings, or a new one."""
    fresh = GradientBoostingClassifier(
        n_estimators=0, learning_rate=args.learning_rate, max_depth=args.max_depth,
        subsample=args.subsample, random_state=args.random_state, warm_start=True)
    path = directory and os.path.join(directory, CHECKPOINT_FILE)
    if not path or not os.path.exists(path):
        print("no checkpoint: training from scratch")
        return fresh
    model = joblib.load(path)
    same_settings = {k: v for k, v in model.get_params().items() if k != "n_estimators"} == \
        {k: v for k, v in fresh.get_params().items() if k != "n_estimators"}
    if not same_settings or model.n_estimators > args.n_estimators:
        print(f"checkpoint {path} does not match these hyperparameters: training from scratch")
        return fresh
    print(f"resumed from checkpoint {path} at {model.n_estimators} of {args.n_estimators} estimators")
    return model


def save_checkpoint(model, directory):
    # Write then rename: an interruption mid-write must never leave a truncated checkpoint behind.
    path = os.path.join(directory, CHECKPOINT_FILE)
    joblib.dump(model, path + ".tmp")
    os.replace(path + ".tmp", path)


def main():
    args = parse_args(sys.argv[1:])
    print(f"hyperparameters: {json.dumps(vars(args), sort_keys=True)}")
    x_train, y_train = channel("train")
    x_validation, y_validation = channel("validation")
    model_dir = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")
    checkpoints = checkpoint_dir()

    # Grow the ensemble in steps (warm_start keeps the trees already fitted) and checkpoint after each.
    model = resume_or_create(args, checkpoints)
    while model.n_estimators < args.n_estimators:
        model.set_params(n_estimators=min(model.n_estimators + args.checkpoint_every, args.n_estimators))
        model.fit(x_train, y_train)
        print(f"estimators={model.n_estimators} train:loss={log_loss(y_train, model.predict_proba(x_train)[:, 1]):.6f};")
        if checkpoints:
            save_checkpoint(model, checkpoints)

    probabilities = model.predict_proba(x_validation)[:, 1]
    metrics = {
        "validation:auc": roc_auc_score(y_validation, probabilities),
        "validation:accuracy": accuracy_score(y_validation, (probabilities >= 0.5).astype(int)),
    }
    print(f"train:loss={log_loss(y_train, model.predict_proba(x_train)[:, 1]):.6f};")
    for name, value in metrics.items():
        # Fixed-point, never 1e-05: the metric regexes are `name=([0-9\.]+)`.
        print(f"{name}={value:.6f};")

    os.makedirs(model_dir, exist_ok=True)
    joblib.dump(model, os.path.join(model_dir, MODEL_FILE))
    output_dir = os.environ.get("SM_OUTPUT_DATA_DIR")
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
        with open(os.path.join(output_dir, "metrics.json"), "w") as f:
            json.dump({"metrics": {name: {"value": value} for name, value in metrics.items()}}, f, indent=2)


def model_fn(model_dir):
    """Entry point of SageMaker's scikit-learn serving container, so this script also serves the model."""
    return joblib.load(os.path.join(model_dir, MODEL_FILE))


if __name__ == "__main__":
    main()

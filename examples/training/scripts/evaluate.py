"""SageMaker Processing script: score the trained model on the held-out test split.

Inputs:  --model-dir/model.tar.gz (the training job's model artifact: SM_MODEL_DIR, tarred)
         --test-dir/*.csv (label first, no header, as preprocess.py writes them)
Output:  --output-dir/evaluation.json in SageMaker's model-quality layout. `metrics` is the canonical
         section (the pipeline's quality gate reads $.metrics.<name>.value); `binary_classification_metrics`
         repeats it with standard deviations and the confusion matrix, as SageMaker Model Monitor reports it.
"""
import argparse
import glob
import json
import math
import os
import sys
import tarfile
import tempfile

import joblib
import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score

MODEL_FILE = "model.joblib"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default="/opt/ml/processing/model")
    parser.add_argument("--test-dir", default="/opt/ml/processing/test")
    parser.add_argument("--output-dir", default="/opt/ml/processing/evaluation")
    parser.add_argument("--threshold", type=float, default=0.5)
    return parser.parse_args()


def load_model(model_dir):
    archive = os.path.join(model_dir, "model.tar.gz")
    if not os.path.exists(archive):
        sys.exit(f"no model.tar.gz in {model_dir}")
    with tempfile.TemporaryDirectory() as extracted, tarfile.open(archive) as tar:
        # The 'data' filter refuses absolute paths and links out of the folder (Python 3.8.17+/3.11.4+).
        if hasattr(tarfile, "data_filter"):
            tar.extractall(extracted, filter="data")
        else:
            tar.extractall(extracted)
        path = os.path.join(extracted, MODEL_FILE)
        if not os.path.exists(path):
            sys.exit(f"{archive} holds no {MODEL_FILE}")
        return joblib.load(path)


def load_test(test_dir):
    paths = sorted(glob.glob(os.path.join(test_dir, "**", "*.csv"), recursive=True))
    if not paths:
        sys.exit(f"no *.csv files under {test_dir}")
    data = np.vstack([np.loadtxt(path, delimiter=",", ndmin=2) for path in paths])
    return data[:, 1:], data[:, 0].astype(int)


def proportion_std(p, n):
    """Standard error of a proportion measured on n samples (binomial)."""
    return math.sqrt(p * (1 - p) / n) if n else 0.0


def auc_std(auc, positives, negatives):
    """Standard error of the AUC, closed form of Hanley & McNeil (1982): no bootstrap needed."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc)
                + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives)
    return math.sqrt(max(variance, 0.0))


def main():
    args = parse_args()
    model = load_model(args.model_dir)
    x, y = load_test(args.test_dir)
    if len(set(y.tolist())) < 2:
        sys.exit("the test split needs both classes to compute an AUC")
    probabilities = model.predict_proba(x)[:, 1]
    predicted = (probabilities >= args.threshold).astype(int)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())

    auc = roc_auc_score(y, probabilities)
    accuracy = accuracy_score(y, predicted)
    precision = precision_score(y, predicted, zero_division=0)
    recall = recall_score(y, predicted, zero_division=0)
    f1 = f1_score(y, predicted, zero_division=0)
    metrics = {"auc": auc, "accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1}
    # Standard errors where a closed form exists: accuracy over all rows, precision over predicted
    # positives, recall over actual positives.
    stds = {
        "auc": auc_std(auc, positives, negatives),
        "accuracy": proportion_std(accuracy, len(y)),
        "precision": proportion_std(precision, int(predicted.sum())),
        "recall": proportion_std(recall, positives),
    }
    matrix = confusion_matrix(y, predicted, labels=[0, 1])

    report = {
        "metrics": {name: {"value": float(value)} for name, value in metrics.items()},
        "binary_classification_metrics": {
            **{name: {"value": float(value), **({"standard_deviation": stds[name]} if name in stds else {})}
               for name, value in metrics.items()},
            # SageMaker's layout: confusion_matrix[actual][predicted].
            "confusion_matrix": {str(a): {str(p): int(matrix[a][p]) for p in (0, 1)} for a in (0, 1)},
        },
        "test_rows": int(len(y)),
    }
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "evaluation.json"), "w") as f:
        json.dump(report, f, indent=2)
    print(" ".join(f"test:{name}={value:.6f};" for name, value in metrics.items()))


if __name__ == "__main__":
    main()

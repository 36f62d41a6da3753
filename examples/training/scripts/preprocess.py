"""SageMaker Processing script: clean, split and baseline a labelled CSV data set.

Inputs: every *.csv under --input-dir (header row, a `label` column with 0/1, numeric features).
Outputs under --output-dir, one folder per ProcessingOutput:
  train/train.csv, validation/validation.csv, test/test.csv
      label FIRST, no header: the CSV convention of SageMaker's built-in XGBoost, also read by train.py.
  baseline/statistics.json
      per-feature statistics of the training split, the reference of the drift monitor.
"""
import argparse
import csv
import glob
import json
import math
import os
import sys

import numpy as np
from sklearn.model_selection import train_test_split

LABEL = "label"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input-dir", default="/opt/ml/processing/input")
    parser.add_argument("--output-dir", default="/opt/ml/processing/output")
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--histogram-bins", type=int, default=10)
    args = parser.parse_args()
    if not (args.validation_fraction > 0 and args.test_fraction > 0 and args.validation_fraction + args.test_fraction < 1):
        parser.error("--validation-fraction and --test-fraction must be positive and sum to less than 1")
    return args


def parse_row(row, width, label_index):
    """The (label, features) of a row, or None when it is malformed: wrong width, non-numeric, NaN/inf, label not 0/1."""
    if len(row) != width:
        return None
    try:
        values = [float(v) for v in row]
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in values) or values[label_index] not in (0.0, 1.0):
        return None
    label = int(values.pop(label_index))
    return label, values


def read_dataset(input_dir):
    """All rows of all CSV files (sorted, so the split is reproducible), with the count of malformed rows."""
    paths = sorted(glob.glob(os.path.join(input_dir, "**", "*.csv"), recursive=True))
    if not paths:
        sys.exit(f"no *.csv files under {input_dir}")
    header, labels, features, malformed = None, [], [], 0
    for path in paths:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            file_header = [name.strip() for name in next(reader, [])]
            if header is None:
                header = file_header
                if LABEL not in header:
                    sys.exit(f"{path}: no '{LABEL}' column in header {header}")
            elif file_header != header:
                sys.exit(f"{path}: header {file_header} differs from {header}")
            label_index = header.index(LABEL)
            for row in reader:
                if not row:  # blank lines are not records
                    continue
                parsed = parse_row(row, len(header), label_index)
                if parsed is None:
                    malformed += 1
                    continue
                labels.append(parsed[0])
                features.append(parsed[1])
    names = [name for name in header if name != LABEL]
    return names, np.array(labels, dtype=int), np.array(features, dtype=float).reshape(-1, len(names)), malformed


def write_split(path, y, x):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        # repr() is the shortest text that reads back as the same float, so statistics stay exact.
        writer.writerows([int(label)] + [repr(float(v)) for v in row] for label, row in zip(y, x))


def baseline(names, x, bins):
    """Statistics the drift monitor compares live traffic with. std is numpy's population std (ddof=0)."""
    features = {}
    for name, column in zip(names, x.T):
        counts, edges = np.histogram(column, bins=bins)
        features[name] = {
            "count": int(column.size),
            "mean": float(column.mean()),
            "std": float(column.std()),
            "min": float(column.min()),
            "max": float(column.max()),
            "histogram": {"bin_edges": edges.tolist(), "counts": counts.tolist()},
        }
    # Column i + 1 of the headerless CSVs is feature_names[i]; column 0 is the label.
    return {"feature_names": names, "std_ddof": 0, "features": features}


def main():
    args = parse_args()
    names, y, x, malformed = read_dataset(args.input_dir)
    # Reported, never fatal: one bad export line must not stop the pipeline; the count shows in the job log.
    print(f"malformed_rows={malformed} valid_rows={len(y)}")
    if len(y) == 0:
        sys.exit("no valid rows to split")

    # Integer sizes give exact, predictable split sizes; stratify keeps the class balance in every split.
    n_test = round(len(y) * args.test_fraction)
    n_validation = round(len(y) * args.validation_fraction)
    x_rest, x_test, y_rest, y_test = train_test_split(
        x, y, test_size=n_test, stratify=y, random_state=args.seed)
    x_train, x_validation, y_train, y_validation = train_test_split(
        x_rest, y_rest, test_size=n_validation, stratify=y_rest, random_state=args.seed)

    out = args.output_dir
    write_split(os.path.join(out, "train", "train.csv"), y_train, x_train)
    write_split(os.path.join(out, "validation", "validation.csv"), y_validation, x_validation)
    write_split(os.path.join(out, "test", "test.csv"), y_test, x_test)
    os.makedirs(os.path.join(out, "baseline"), exist_ok=True)
    with open(os.path.join(out, "baseline", "statistics.json"), "w") as f:
        json.dump(baseline(names, x_train, args.histogram_bins), f, indent=2)
    print(f"train_rows={len(y_train)} validation_rows={len(y_validation)} test_rows={len(y_test)}")


if __name__ == "__main__":
    main()

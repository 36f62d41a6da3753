"""Writes a seeded, synthetic and learnable binary-classification CSV for the example pipeline.

The label depends on the features through a noisy logistic model (with one interaction term), so
a gradient-boosted model reaches an AUC of about 0.9 but not 1.0. A few malformed rows are mixed in
on purpose: preprocess.py must count and drop them rather than crash.

    python3 make_dataset.py --output churn.csv [--rows 2000] [--seed 42]
"""
import argparse
import csv

import numpy as np

FEATURES = ["tenure_months", "monthly_charges", "support_calls", "usage_gb", "contract_years", "age"]

# One of each kind of bad record seen in real exports. The label is the LAST raw column on purpose:
# preprocess.py must find it by name and move it first.
MALFORMED_ROWS = [
    ["", "70.5", "2", "10.0", "1", "40", "1"],  # empty field
    ["12", "n/a", "1", "3.5", "2", "33", "0"],  # placeholder text
    ["abc", "80.1", "4", "12.0", "0", "51", "1"],  # garbage text
    ["24", "65.0", "NaN", "7.0", "1", "45", "0"],  # explicit NaN
    ["3", "99.0", "6", "inf", "0", "29", "1"],  # non-finite number
    ["36", "55.0", "2"],  # truncated line
    ["5", "90.0", "3", "8.0", "0", "38", "1", "extra"],  # too many columns
    ["10", "60.0", "1", "5.0", "1", "42", "2"],  # label outside {0, 1}
    ["18", "75.0", "2", "6.0", "1", "37", ""],  # missing label
    ["8", "85.0", "5", "9.0", "0", "30", "yes"],  # non-numeric label
]


def make_rows(rows, seed):
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, rows).astype(float)
    charges = np.round(rng.normal(70, 20, rows).clip(18, 120), 2)
    calls = rng.poisson(1.5, rows).astype(float)
    usage = np.round(rng.lognormal(2.5, 0.6, rows), 3)
    contract = rng.choice([0.0, 1.0, 2.0], rows, p=[0.5, 0.3, 0.2])
    age = rng.integers(18, 80, rows).astype(float)
    # Churn rises with charges and support calls, falls with tenure and contract length.
    logit = (
        0.2
        + 0.08 * (charges - 70)
        + 1.0 * (calls - 1.5)
        - 0.08 * (tenure - 36)
        - 1.5 * contract
        + 0.03 * (charges - 70) * (calls > 2)
    )
    label = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    features = np.column_stack([tenure, charges, calls, usage, contract, age])
    return [["%g" % v for v in x] + [str(y)] for y, x in zip(label, features)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rows = make_rows(args.rows, args.seed)
    # Scatter the malformed rows at seeded positions, so they are not all at the end of the file.
    positions = np.random.default_rng(args.seed + 1).choice(len(rows), len(MALFORMED_ROWS), replace=False)
    for position, bad in sorted(zip(positions, MALFORMED_ROWS), reverse=True):
        rows.insert(int(position), bad)

    with open(args.output, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(FEATURES + ["label"])
        writer.writerows(rows)
    print(f"wrote {args.rows} valid and {len(MALFORMED_ROWS)} malformed rows to {args.output}")


if __name__ == "__main__":
    main()

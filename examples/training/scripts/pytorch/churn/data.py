"""The preprocessed splits: folders of CSV files, label first, no header (what preprocess.py writes)."""
import glob
import os
import sys

import numpy as np
import torch


def channel(name):
    """The features and labels of channel `name` (SM_CHANNEL_<NAME>), as float tensors."""
    directory = os.environ.get(f"SM_CHANNEL_{name.upper()}")
    if not directory or not os.path.isdir(directory):
        sys.exit(f"channel '{name}' is missing: set SM_CHANNEL_{name.upper()} to a folder of CSV files")
    paths = sorted(glob.glob(os.path.join(directory, "**", "*.csv"), recursive=True))
    if not paths:
        sys.exit(f"channel '{name}' ({directory}) holds no *.csv files")
    data = np.vstack([np.loadtxt(path, delimiter=",", ndmin=2) for path in paths]).astype(np.float32)
    return torch.from_numpy(data[:, 1:]), torch.from_numpy(data[:, 0])


def standardizer(features):
    """Mean and standard deviation of each feature (a constant feature keeps std 1)."""
    mean = features.mean(dim=0)
    std = features.std(dim=0, unbiased=False)
    return mean, torch.where(std > 0, std, torch.ones_like(std))

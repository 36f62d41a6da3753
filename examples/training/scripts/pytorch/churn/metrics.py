"""Metrics without scikit-learn, which the PyTorch image need not have."""
import numpy as np


def roc_auc(labels, scores):
    """Area under the ROC curve: the chance that a random positive scores above a random negative (ties count half)."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    positives, negatives = scores[labels], scores[~labels]
    if len(positives) == 0 or len(negatives) == 0:
        raise ValueError("AUC needs both classes")
    order = np.argsort(np.concatenate([positives, negatives]), kind="mergesort")
    ranks = np.empty(len(order))
    ranks[order] = np.arange(1, len(order) + 1)
    # Average ranks over ties.
    combined = np.concatenate([positives, negatives])
    for value in np.unique(combined):
        tied = combined == value
        ranks[tied] = ranks[tied].mean()
    return float((ranks[: len(positives)].sum() - len(positives) * (len(positives) + 1) / 2) / (len(positives) * len(negatives)))

"""A logistic-regression churn model in numpy: what `train` fits and `serve` predicts with.

The model file is JSON (weights, bias, the training split's mean and standard deviation per
feature), so serving needs no pickle and any version of numpy reads it.
"""
import json

import numpy as np

MODEL_FILE = "model.json"


def standardizer(features):
    mean = features.mean(axis=0)
    std = features.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def fit(features, labels, epochs, learning_rate, l2):
    """Full-batch gradient descent on the log loss with L2; returns the model and the final training loss."""
    mean, std = standardizer(features)
    x = (features - mean) / std
    weights = np.zeros(x.shape[1])
    bias = 0.0
    for _ in range(epochs):
        p = sigmoid(x @ weights + bias)
        error = p - labels
        weights -= learning_rate * (x.T @ error / len(labels) + l2 * weights)
        bias -= learning_rate * error.mean()
    model = {"weights": weights.tolist(), "bias": float(bias), "mean": mean.tolist(), "std": std.tolist()}
    return model, log_loss(labels, predict(model, features))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


def predict(model, features):
    """Churn probabilities of a 2-D array of feature rows."""
    x = (features - np.asarray(model["mean"])) / np.asarray(model["std"])
    return sigmoid(x @ np.asarray(model["weights"]) + model["bias"])


def log_loss(labels, probabilities):
    p = np.clip(probabilities, 1e-12, 1 - 1e-12)
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def roc_auc(labels, scores):
    """The Mann-Whitney form of ROC AUC, with ties counted half."""
    labels = np.asarray(labels)
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if len(positives) == 0 or len(negatives) == 0:
        raise ValueError("AUC needs both classes in the labels")
    order = np.argsort(np.concatenate([positives, negatives]), kind="mergesort")
    ranks = np.empty(len(order))
    values = np.concatenate([positives, negatives])[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[:len(positives)].sum() - len(positives) * (len(positives) + 1) / 2) / (len(positives) * len(negatives)))


def save(model, path):
    with open(path, "w") as f:
        json.dump({**model, "features": len(model["weights"])}, f)


def load(path):
    with open(path) as f:
        return json.load(f)

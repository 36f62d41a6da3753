"""Handlers of SageMaker's PyTorch inference container: train.py copies this file and the churn package
into the model's code/ folder, where the container looks for them.

Requests are CSV rows of the features (no label); responses are one churn probability a line.
"""
import io
import os

import numpy as np
import torch

from churn.model import load


def model_fn(model_dir):
    return load(os.path.join(model_dir, "model.pt"))


def input_fn(body, content_type="text/csv"):
    if content_type != "text/csv":
        raise ValueError(f"unsupported content type {content_type}: send text/csv")
    text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    return torch.from_numpy(np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2).astype(np.float32))


def predict_fn(features, model):
    with torch.no_grad():
        return torch.sigmoid(model(features))


def output_fn(probabilities, accept="text/csv"):
    # With a type of its own: the toolkit labels a bare body with the request's Accept, which
    # defaults to application/json, and these lines are CSV whatever was asked.
    return "\n".join(f"{p:.6f}" for p in probabilities.tolist()) + "\n", "text/csv"

"""Where SageMaker's container contract puts things, under one root.

SageMaker mounts everything under /opt/ml. OPT_ML_DIR moves that root, so the programs run
unchanged outside a container (the tests run them with a temporary folder as the root).
"""
import os


def root():
    return os.environ.get("OPT_ML_DIR", "/opt/ml")


def channel(name):
    """The folder of training channel `name`: /opt/ml/input/data/<channel>."""
    return os.path.join(root(), "input", "data", name)


def hyperparameters_file():
    return os.path.join(root(), "input", "config", "hyperparameters.json")


def model_dir():
    """Training writes the model here (SageMaker tars it into model.tar.gz); serving finds it unpacked here."""
    return os.path.join(root(), "model")


def failure_file():
    """A failed training job's FailureReason: the first 1 KB of what is written here."""
    return os.path.join(root(), "output", "failure")

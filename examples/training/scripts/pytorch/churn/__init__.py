"""Helper modules of the PyTorch churn example: data loading, the model, and its metrics."""

"""A small feed-forward classifier whose inputs are standardized inside the model, so serving needs no extra step."""
import torch
from torch import nn


class ChurnClassifier(nn.Module):
    def __init__(self, features, hidden_units, mean=None, std=None):
        super().__init__()
        self.register_buffer("mean", mean if mean is not None else torch.zeros(features))
        self.register_buffer("std", std if std is not None else torch.ones(features))
        self.layers = nn.Sequential(
            nn.Linear(features, hidden_units), nn.ReLU(),
            nn.Linear(hidden_units, hidden_units), nn.ReLU(),
            nn.Linear(hidden_units, 1),
        )

    def forward(self, x):
        """Logits of churn."""
        return self.layers((x - self.mean) / self.std).squeeze(-1)


def save(model, path, hidden_units):
    torch.save({"state_dict": model.state_dict(), "features": model.mean.numel(), "hidden_units": hidden_units}, path)


def load(path):
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = ChurnClassifier(saved["features"], saved["hidden_units"])
    model.load_state_dict(saved["state_dict"])
    return model.eval()

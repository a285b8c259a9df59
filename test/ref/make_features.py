#!/usr/bin/python3
"""Generate the PyTorch fixture of sql/features.sql: a model with covariates
(input_size 1 + K) fine-tuned in SQL with one SGD step on rows with K
features, compared with PyTorch's step, and the recursive forecast of the
result given the future features.

The windowing is rnn_forecast's covariate convention (DeepAR's): the input
at window step t is the value at t and the features at t + 1 (those of the
step the network predicts), so window k reads
    x[k, t] = [series[k + t], features[k + t + 1, 0], ..., features[k + t + 1, K - 1]]
and its target is series[k + W].  One torch.optim.SGD step with MSE loss over
all windows in one batch is what rnn_train does with epochs 1, optimizer
sgd, batch_size 0, validation_fraction 0, clip_norm 0, loss mse, ensemble 1
and scaling none.

The forecast after the step: recursive, each step's input row is the last
value (observed, then forecast) with the next step's features; the last
window of the series ends with the first future step's features.

It writes test/ref/fixtures/features_lstm.json holding
    "model":    the JSON rnn_model_from_json reads (input_size 1 + K),
    "series", "features" (N rows of K), "future" (H rows of K), "lr",
    "after":    PyTorch's state_dict after the step,
    "forecast": the H-step forecast of the model after the step.

Run from the repository root:  /usr/bin/python3 test/ref/make_features.py
"""

import json
import os

import torch
import torch.nn as nn

from make_ref import RNNModel

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "fixtures")
LR = 0.1
N = 30
K = 2
W = 5
H = 3


def main():
    torch.manual_seed(4545)
    model = RNNModel("lstm", 1 + K, 4, 1, 1, False)
    t = torch.arange(N + H, dtype=torch.float32)
    feats = torch.stack([(t % 4 == 0).float(), torch.cos(t / 2.0)], dim=1)
    series = torch.sin(t[:N] / 3.0) + 0.5 * feats[:N, 0] + 0.1 * torch.randn(N)
    doc = {
        "model": {
            "cell": "lstm",
            "input_size": 1 + K,
            "hidden_size": 4,
            "num_layers": 1,
            "bidirectional": False,
            "output_size": 1,
            "window": W,
            "state_dict": {k: v.tolist() for k, v in model.state_dict().items()},
        },
        "series": series.tolist(),
        "features": feats[:N].tolist(),
        "future": feats[N:].tolist(),
        "lr": LR,
    }
    n_win = N - W
    x = torch.stack([
        torch.cat([series[k:k + W].unsqueeze(-1), feats[k + 1:k + W + 1]], dim=1)
        for k in range(n_win)])
    y = torch.stack([series[k + W:k + W + 1] for k in range(n_win)])
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    opt.zero_grad()
    nn.MSELoss()(model(x), y).backward()
    opt.step()
    doc["after"] = {k: v.tolist() for k, v in model.state_dict().items()}
    values = series.tolist()
    forecast = []
    with torch.no_grad():
        for h in range(H):
            last = torch.tensor(values[-W:], dtype=torch.float32).unsqueeze(-1)
            f = feats[N + h - W + 1:N + h + 1]
            y = model(torch.cat([last, f], dim=1).unsqueeze(0)).item()
            forecast.append(y)
            values.append(y)
    doc["forecast"] = forecast
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "features_lstm.json")
    with open(path, "w") as fh:
        json.dump(doc, fh)
        fh.write("\n")
    print("wrote", os.path.relpath(path, os.path.join(HERE, "..", "..")))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Generate the PyTorch fixtures of sql/finetune.sql: models that are
fine-tuned in SQL with one SGD step and compared with PyTorch's step.

For each case this script builds a seeded float32 RNNModel (the recurrent
stack + Linear head on the last time step of make_ref.py), a seeded series
of 24 values, and takes ONE torch.optim.SGD step with MSE loss over all the
sliding windows of the series in one batch: window k reads
series[k .. k+W-1] and its target is series[k+W .. k+W+O-1] (O outputs).
That is what rnn_train does with epochs 1, optimizer sgd, batch_size 0,
validation_fraction 0, clip_norm 0, loss mse, ensemble 1 and no scaling.

It writes test/ref/fixtures/finetune_<name>.json holding
    "model":  the JSON rnn_model_from_json reads (no "scaling", no "history"),
    "series": the values the SQL test trains on,
    "lr":     the learning rate,
    "after":  PyTorch's state_dict after the step.

Run from the repository root:  /usr/bin/python3 test/ref/make_finetune.py
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
N = 24


def windows(series, window, outputs):
    """(K, W, 1) inputs and (K, O) targets of every window of the series."""
    k = len(series) - window - outputs + 1
    x = torch.stack([series[i:i + window] for i in range(k)]).unsqueeze(-1)
    y = torch.stack([series[i + window:i + window + outputs] for i in range(k)])
    return x, y


def make_case(name, seed, cell, hidden_size, num_layers, window, outputs, strategy):
    torch.manual_seed(seed)
    model = RNNModel(cell, 1, hidden_size, outputs, num_layers, False)
    series = torch.sin(torch.arange(N, dtype=torch.float32) / 3.0) + 0.1 * torch.randn(N)
    doc = {
        "model": {
            "cell": cell,
            "input_size": 1,
            "hidden_size": hidden_size,
            "num_layers": num_layers,
            "bidirectional": False,
            "output_size": outputs,
            "window": window,
            "state_dict": {k: v.tolist() for k, v in model.state_dict().items()},
        },
        "series": series.tolist(),
        "lr": LR,
    }
    if strategy is not None:
        doc["model"]["strategy"] = strategy
    x, y = windows(series, window, outputs)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    opt.zero_grad()
    nn.MSELoss()(model(x), y).backward()
    opt.step()
    doc["after"] = {k: v.tolist() for k, v in model.state_dict().items()}
    fname = "finetune_%s.json" % name
    with open(os.path.join(OUT_DIR, fname), "w") as f:
        json.dump(doc, f)
        f.write("\n")
    return fname


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    written = [
        # recursive: one output, fed back
        make_case("gru", 4242, "gru", 4, 2, 6, 1, None),
        # direct: two outputs at once
        make_case("lstm", 4343, "lstm", 3, 1, 5, 2, "direct"),
    ]
    for name in written:
        print("wrote", os.path.join("test/ref/fixtures", name))


if __name__ == "__main__":
    main()

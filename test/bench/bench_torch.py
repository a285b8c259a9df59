#!/usr/bin/python3
"""PyTorch half of the rnn_forecast training-speed benchmark.

Trains the reference RNNModel (2-layer LSTM, GRU or tanh RNN, hidden 64,
input 1, output 1) for ONE epoch over N windows of 48 points cut from a
noisy sine, with batch 64, Adam(lr=0.001), MSELoss, float32 and
torch.set_num_threads(--threads, default 1), and reports the throughput in
windows per second.  Only the training loop is timed (data creation and one
warm-up batch are excluded).

Usage:  /usr/bin/python3 test/bench/bench_torch.py [--windows N] [--cell lstm|gru|rnn]
                                                   [--threads N] [--json]
"""

import argparse
import json
import math
import time

import torch
import torch.nn as nn

WINDOW = 48
BATCH = 64
HIDDEN = 64
LAYERS = 2
LR = 0.001
SEED = 12345


class RNNModel(nn.Module):
    def __init__(self, input_size, hidden_size, output_size, num_layers,
                 cell="lstm"):
        super().__init__()
        kind = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.rnn = kind(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out, _hidden = self.rnn(x)
        return self.fc(out[:, -1, :])


def make_data(n_windows):
    gen = torch.Generator().manual_seed(SEED)
    n_points = n_windows + WINDOW
    k = torch.arange(n_points, dtype=torch.float64)
    noise = torch.randn(n_points, generator=gen, dtype=torch.float64)
    v = (torch.sin(2.0 * math.pi * k / 50.0) + 0.1 * noise).to(torch.float32)
    # x[i] = v[i .. i+47], y[i] = v[i+48]
    x = v.unfold(0, WINDOW, 1)[:n_windows].contiguous().unsqueeze(-1)
    y = v[WINDOW:WINDOW + n_windows].contiguous().unsqueeze(-1)
    perm = torch.randperm(n_windows, generator=gen)
    return x, y, perm


def train_step(model, opt, loss_fn, xb, yb):
    opt.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    opt.step()
    return loss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows", type=int, default=20000)
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true",
                    help="print a single JSON line")
    args = ap.parse_args()
    n = args.windows
    if n < 1:
        ap.error("--windows must be positive")

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    x, y, perm = make_data(n)
    model = RNNModel(1, HIDDEN, 1, LAYERS, args.cell)
    loss_fn = nn.MSELoss()

    # Warm-up batch (not timed), then restore the initial state so the
    # timed epoch starts from the freshly initialised model.
    init_state = {k: t.clone() for k, t in model.state_dict().items()}
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    idx = perm[:BATCH]
    train_step(model, opt, loss_fn, x[idx], y[idx])
    model.load_state_dict(init_state)
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    t0 = time.perf_counter()
    for start in range(0, n, BATCH):
        idx = perm[start:start + BATCH]
        loss = train_step(model, opt, loss_fn, x[idx], y[idx])
    final_loss = loss.item()
    seconds = time.perf_counter() - t0
    wps = n / seconds

    if args.json:
        print(json.dumps({"impl": "pytorch", "cell": args.cell,
                          "threads": torch.get_num_threads(), "windows": n,
                          "seconds": round(seconds, 6),
                          "windows_per_second": round(wps, 3)},
                         separators=(",", ":")))
    else:
        print("pytorch %s: %d windows in %.3f s = %.1f windows/s "
              "(last batch loss %.6f)" % (torch.__version__, n, seconds,
                                          wps, final_loss))


if __name__ == "__main__":
    main()

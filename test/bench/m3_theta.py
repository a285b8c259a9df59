#!/usr/bin/python3
"""The textbook Theta method on the M3 series, beside the competition's THETA submission.

    /usr/bin/python3 test/bench/m3_theta.py                   # the competition's holdout
    /usr/bin/python3 test/bench/m3_theta.py --cv-fold 2       # a fold of test/bench/m3.sh
    /usr/bin/python3 test/bench/m3_theta.py --cv-fold 1 --against OUT/m3_global_cv.csv

The method as Hyndman and Billah (2003) restate Assimakopoulos and Nikolopoulos (2000), the
form of R's forecast::thetaf: when the series passes the 90% autocorrelation test at lag =
season (|r_m| > 1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n), n >= 2 season), divide it by the
seasonal indices of a classical multiplicative decomposition (centred moving average, the
mean ratio per season, normalised to mean 1); forecast the adjusted series by simple
exponential smoothing with a drift of half its least-squares slope,
    f(n+k) = l_n + b/2 (k - 1 + (1 - (1 - a)^n) / a),
with the smoothing weight a (a grid of 200 in [0.0001, 0.9999]) and the initial level (exact,
for each a) chosen by least squares of the one-step errors; multiply the indices back.

On the competition's holdout it prints, per period, this Theta's sMAPE beside the
competition's THETA and NAIVE2 on the same series and how many series' sMAPE agree with THETA's
within 0.01. On a fold (--cv-fold K, the split of test/bench/m3.sql: the fitting part is the
train part without its last K h points, the holdout the h points after it; a series whose
fitting part has no more than a season of points, or fewer than 2, or is equal a season
apart, is left out) it prints
this Theta's sMAPE. --against CSV (a per-series file of test/bench/m3.sh --out, the same fold)
adds that run's sMAPE on the same series, the mean per-series difference (run minus Theta)
with its standard error over series, and the number of series where each is better.
Reads data/m3/ only: no server, no extension. About a minute for all 2,703 series.
"""
import argparse
import collections
import csv
import gzip
import math
import os
import sys

import numpy as np

SEASON = {'YEARLY': 1, 'QUARTERLY': 4, 'MONTHLY': 12, 'OTHER': 1}
ORDER = ['YEARLY', 'QUARTERLY', 'MONTHLY', 'OTHER']


def seasonal(x, m):
    """The 90% autocorrelation test at lag m (as thetaf applies it)."""
    n = len(x)
    if m <= 1 or n < 2 * m:
        return False
    d = x - x.mean()
    den = float(np.dot(d, d))
    if den <= 0:
        return False
    r = np.array([np.dot(d[k:], d[:-k]) / den for k in range(1, m + 1)])
    return abs(r[m - 1]) > 1.645 * math.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / n)


def seasonal_indices(x, m):
    """Classical multiplicative decomposition: the mean ratio to a centred moving average."""
    w = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    ma = np.convolve(x, w, mode='valid')
    off = (len(w) - 1) // 2
    ratios = collections.defaultdict(list)
    for i, v in enumerate(ma):
        ratios[(i + off) % m].append(x[i + off] / v)
    idx = np.array([np.mean(ratios[p]) for p in range(m)])
    return idx / idx.mean()


def ses(z):
    """Smoothing weight and final level of simple exponential smoothing, least squares.

    For a fixed weight a the level before point t is c_t + d_t l0 with d_t = (1 - a)^t, so
    the sum of squared one-step errors is a parabola in the initial level l0."""
    n = len(z)
    best = None
    for a in np.linspace(0.0001, 0.9999, 200):
        c = np.empty(n)
        level = 0.0
        for t in range(n):
            c[t] = level
            level += a * (z[t] - level)
        d = (1 - a) ** np.arange(n)
        r = z - c
        l0 = float(np.dot(r, d) / np.dot(d, d))
        e = r - d * l0
        sse = float(np.dot(e, e))
        if best is None or sse < best[0]:
            best = (sse, a, level + (1 - a) ** n * l0)
    return best[1], best[2]


def theta(x, h, m):
    x = np.asarray(x, dtype=float)
    n = len(x)
    if seasonal(x, m):
        idx = seasonal_indices(x, m)
        si = idx[np.arange(n + h) % m]
    else:
        si = np.ones(n + h)
    y = x / si[:n]
    a, level = ses(y)
    b = np.polyfit(np.arange(n), y, 1)[0] if n > 1 else 0.0
    k = np.arange(h)
    return (level + b / 2 * (k + (1 - (1 - a) ** n) / a)) * si[n:]


def smape(f, a):
    return float(np.mean(200 * np.abs(f - a) / (np.abs(f) + np.abs(a))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cv-fold', type=int, default=0, choices=[0, 1, 2, 3, 4])
    ap.add_argument('--limit-period', default='')
    ap.add_argument('--against', help="a per-series CSV of test/bench/m3.sh --out")
    args = ap.parse_args()
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'data', 'm3')
    per = args.limit_period.upper()

    train = collections.defaultdict(list)
    test = collections.defaultdict(list)
    with gzip.open(os.path.join(data, 'm3_series.csv.gz'), 'rt') as f:
        for r in csv.DictReader(f):   # in date or step order per series
            (train if r['part'] == 'train' else test)[r['id']].append(float(r['value']))
    with gzip.open(os.path.join(data, 'm3_meta.csv.gz'), 'rt') as f:
        meta = {r['id']: r for r in csv.DictReader(f)}
    comp = collections.defaultdict(dict)
    with gzip.open(os.path.join(data, 'm3_methods.csv.gz'), 'rt') as f:
        for r in csv.DictReader(f):
            if r['method'] in ('THETA', 'NAIVE2') and r['smape']:
                comp[r['id']][r['method']] = float(r['smape'])
    ours = {}
    if args.against:
        with open(args.against) as f:
            ours = {r['id']: float(r['smape']) for r in csv.DictReader(f) if r['smape']}

    rows = collections.defaultdict(list)
    left_out = collections.Counter()
    for sid, m in sorted(meta.items()):
        p = m['period']
        if per and p != per:
            continue
        h, s = int(m['h']), SEASON[p]
        x = train[sid]
        if args.cv_fold:
            n_fit = len(x) - args.cv_fold * h
            if n_fit <= s or n_fit < 2 or all(x[t] == x[t - s] for t in range(s, n_fit)):
                left_out[p] += 1     # as m3.sql: too short, or no MASE scale
                continue
            fit, hold = x[:n_fit], x[n_fit:n_fit + h]
        else:
            fit, hold = x, test[sid][:h]
        if args.against and sid not in ours:
            continue     # not in the run (--quick, failed): not fitted at all
        th = smape(theta(fit, h, s), np.array(hold))
        rows[p].append((th, comp[sid].get('THETA'), comp[sid].get('NAIVE2'), ours.get(sid)))

    where = 'fold %d' % args.cv_fold if args.cv_fold else "the competition's holdout"
    print('textbook Theta (thetaf form) on %s%s' % (where, ', against ' + args.against if args.against else ''))
    if args.against:
        print('| period    | series | run sMAPE | Theta sMAPE | run - Theta | s.e. | run better | Theta better |')
        print('|-----------|-------:|----------:|------------:|------------:|-----:|-----------:|-------------:|')
    elif args.cv_fold:
        print('| period    | series | Theta sMAPE | left out |')
        print('|-----------|-------:|------------:|---------:|')
    else:
        print('| period    | series | Theta sMAPE | THETA (competition) sMAPE | NAIVE2 sMAPE | same as THETA (0.01) |')
        print('|-----------|-------:|------------:|--------------------------:|-------------:|---------------------:|')
    allrows = []
    for p in [q for q in ORDER if q in rows] + ['ALL']:
        v = rows[p] if p != 'ALL' else allrows
        if p != 'ALL':
            allrows.extend(v)
        if not v:
            continue
        th = np.array([r[0] for r in v])
        if args.against:
            run = np.array([r[3] for r in v])
            d = run - th
            se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float('nan')
            print('| %-9s | %6d | %9.2f | %11.2f | %+11.2f | %4.2f | %10d | %12d |'
                  % (p, len(v), run.mean(), th.mean(), d.mean(), se, np.sum(d < 0), np.sum(d > 0)))
        elif args.cv_fold:
            lo = sum(left_out.values()) if p == 'ALL' else left_out[p]
            print('| %-9s | %6d | %11.2f | %8d |' % (p, len(v), th.mean(), lo))
        else:
            ct = np.array([r[1] for r in v])
            nv = np.array([r[2] for r in v])
            print('| %-9s | %6d | %11.2f | %25.2f | %12.2f | %20d |'
                  % (p, len(v), th.mean(), ct.mean(), nv.mean(), np.sum(np.abs(th - ct) < 0.01)))
    return 0


if __name__ == '__main__':
    sys.exit(main())

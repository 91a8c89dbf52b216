#!/usr/bin/env python3
"""Writes test/fixtures/transferability.json: small random features, source probabilities and labels, and the
LEEP, NCE, LogME and H-score of them computed here with NumPy, independently of adaptlab.

Run with Debian's NumPy:  /usr/bin/python3 scripts/transferability_reference.py

The formulas are those of ../shared/docs/REFERENCE.md §1 "Transferability estimation". This script takes the
direct route where adaptlab takes a shortcut, so the two check each other:
- LEEP and NCE from one-hot matrix products and a 2-D histogram (adaptlab: loops over examples);
- LogME with A = αI + βFᵀF solved, inverted and log-determined directly in D dimensions (adaptlab: the
  eigendecomposition of the smaller Gram matrix and the closed forms in its eigenvalues), with the same fixed
  point (α = β = 1, at most 11 updates, stop when t = α/β changes by less than 1e-3 relative) and the evidence
  evaluated at the final α, β;
- H-score from numpy.cov and numpy.linalg.pinv (adaptlab: a Jacobi eigendecomposition of the covariance).
Inputs are rounded to 6 decimals before the scores are computed, so the JSON holds exactly the values scored.
"""
import json
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'transferability.json')
SEED = 20240509


def leep(probs, y):
    n = len(y)
    onehot = np.eye(y.max() + 1)[y]                 # n × C
    joint = onehot.T @ probs / n                     # P̂(y, z), C × Z
    cond = joint / joint.sum(axis=0, keepdims=True)  # P̂(y | z)
    return float(np.mean(np.log(np.sum(probs * cond[y], axis=1))))


def nce(z, y):
    n = len(y)
    joint, _, _ = np.histogram2d(y, z, bins=[np.arange(y.max() + 2), np.arange(z.max() + 2)])
    joint /= n
    pz = joint.sum(axis=0, keepdims=True)
    mask = joint > 0
    return float(np.sum(joint[mask] * np.log((joint / np.where(pz > 0, pz, 1))[mask])))


def logme_column(F, y):
    n, D = F.shape
    FtF, Fty = F.T @ F, F.T @ y

    def at(alpha, beta):
        A = alpha * np.eye(D) + beta * FtF
        m = beta * np.linalg.solve(A, Fty)
        gamma = D - alpha * np.trace(np.linalg.inv(A))
        return gamma, float(m @ m), float(np.sum((F @ m - y) ** 2)), A

    alpha, beta = 1.0, 1.0
    for _ in range(11):
        t = alpha / beta
        gamma, m2, res2, _ = at(alpha, beta)
        alpha, beta = gamma / m2, (n - gamma) / res2
        if abs(alpha / beta - t) / t < 1e-3:
            break
    _, m2, res2, A = at(alpha, beta)
    sign, logdet = np.linalg.slogdet(A)
    assert sign > 0
    L = (n / 2 * np.log(beta) + D / 2 * np.log(alpha) - n / 2 * np.log(2 * np.pi)
         - beta / 2 * res2 - alpha / 2 * m2 - 0.5 * logdet)
    return L / n


def logme(F, Y):
    """Y: int labels (one-vs-rest columns of the classes present) or a float matrix of regression columns."""
    if Y.dtype.kind == 'i':
        cols = [(Y == c).astype(np.float64) for c in range(Y.max() + 1) if np.any(Y == c)]
    else:
        cols = [Y[:, k] for k in range(Y.shape[1])]
    return float(np.mean([logme_column(F, y) for y in cols]))


def hscore(F, y):
    n, D = F.shape
    cov_f = np.cov(F, rowvar=False, bias=True)
    means = np.stack([F[y == c].mean(axis=0) for c in range(y.max() + 1)])
    cov_g = np.cov(means[y], rowvar=False, bias=True)
    pinv = np.linalg.pinv(cov_f, rcond=max(n, D) * np.finfo(np.float64).eps)
    return float(np.trace(pinv @ cov_g))


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def case(rng, n, C, Z, D, signal):
    y = rng.permutation(np.arange(n) % C)
    F = np.round(signal * rng.normal(size=(C, D))[y] + rng.normal(size=(n, D)), 6)
    probs = np.round(softmax(2.0 * rng.normal(size=(C, Z))[y] + rng.normal(size=(n, Z))), 6)
    return y, F, probs


def main():
    rng = np.random.default_rng(SEED)
    cases = {}
    # tall (n > D): LogME decomposes FᵀF. wide (n < D): it decomposes FFᵀ, and cov(f) has rank n − 1 < D, so
    # H-score reaches its bound C − 1. collinear (n > D, rank 7 < D = 10): zero eigenvalues in both Gram
    # matrices, H-score through the pseudo-inverse.
    for name, (n, C, Z, D) in {'tall': (60, 4, 5, 8), 'wide': (15, 3, 4, 24), 'collinear': (40, 3, 3, 10)}.items():
        y, F, probs = case(rng, n, C, Z, D, signal=1.0)
        if name == 'collinear':
            F[:, 7], F[:, 8], F[:, 9] = F[:, 0] + F[:, 1], 2 * F[:, 2] - F[:, 3], F[:, 4]
            F = np.round(F, 6)
            assert np.linalg.matrix_rank(F) == 7
        R = np.round(F[:, :3] @ rng.normal(size=(3, 2)) + 0.5 * rng.normal(size=(n, 2)), 6)
        cases[name] = {
            'labels': y.tolist(), 'features': F.tolist(), 'probs': probs.tolist(), 'regression': R.tolist(),
            'leep': leep(probs, y), 'nce': nce(probs.argmax(axis=1), y),
            'logme': logme(F, y), 'logme_regression': logme(F, R), 'hscore': hscore(F, y),
        }
        print(name, {k: v for k, v in cases[name].items() if isinstance(v, float)})
    with open(OUT, 'w') as f:
        json.dump({'seed': SEED, 'numpy': np.__version__, 'cases': cases}, f, separators=(',', ':'))
        f.write('\n')
    print('wrote', OUT, os.path.getsize(OUT), 'bytes')


if __name__ == '__main__':
    main()

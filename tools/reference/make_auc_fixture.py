#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes tests/fixtures/auc_sklearn.json: label/score vectors and scikit-learn's
roc_auc_score on each, plus group AUC computed the DeepCTR way (per-group roc_auc_score,
weighted by the group's impressions, single-class groups skipped). tests/cpu/test_metrics.cpp
compares dien::metrics::roc_auc and gauc with these values to 1e-12.

Regenerate: /usr/bin/python3 -m pip install --user scikit-learn (or a venv with
--system-site-packages), then python3 tools/reference/make_auc_fixture.py [--check].
"""
import json
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "auc_sklearn.json")


def gauc_reference(y, s, g):
    num, den = 0.0, 0.0
    for key in dict.fromkeys(g):  # groups in order of first appearance
        idx = [i for i, k in enumerate(g) if k == key]
        yy = [y[i] for i in idx]
        if len(set(yy)) < 2:
            continue
        num += len(idx) * roc_auc_score(yy, [s[i] for i in idx])
        den += len(idx)
    return num / den


def cases():
    rng = np.random.RandomState(20240611)
    out = []

    def add(name, y, s, groups=None):
        y = [float(v) for v in y]
        s = [float(v) for v in s]
        c = {"name": name, "labels": y, "scores": s, "auc": float(roc_auc_score(y, s))}
        if groups is not None:
            c["groups"] = [int(v) for v in groups]
            c["gauc"] = float(gauc_reference(y, s, c["groups"]))
        out.append(c)

    add("small_by_hand", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    add("all_tied", [0, 1, 1, 0, 1, 0, 0], [0.3] * 7)
    n = 400
    y = (rng.rand(n) < 0.35).astype(int)
    add("heavy_ties", y, np.round(rng.rand(n) * 5) / 5 + 0.1 * y * (rng.rand(n) < 0.5))
    n = 5000
    s = rng.rand(n)
    y = (rng.rand(n) < 1 / (1 + np.exp(-(4 * s - 2)))).astype(int)
    add("large_random", y, s.astype(np.float32))  # float32 values, as dien's predictions are
    n = 3000
    g = rng.randint(0, 150, size=n)
    s = rng.rand(n)
    y = (rng.rand(n) < 0.2 + 0.5 * s).astype(int)
    add("grouped", y, np.round(s * 20) / 20, g)  # ties and single-class groups included
    return out


def main():
    data = {"sklearn_version": __import__("sklearn").__version__, "cases": cases()}
    text = json.dumps(data, indent=None) + "\n"
    if "--check" in sys.argv:
        with open(OUT) as f:
            old = json.load(f)
        for a, b in zip(old["cases"], data["cases"]):
            assert a == b, a["name"]
        print("auc_sklearn.json matches")
        return
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()

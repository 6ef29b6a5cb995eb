"""Choose the relevance floor's rule on the development set: a small logistic fit per script.

Usage::

    GPT4ALL_RAG_HOME=/work/devhome python bench/floor_features.py > features.jsonl
    python bench/floor_fit.py features.jsonl [--features similarity,coverage,absent]

For each language (English: questions mostly in Latin script, ``dev-en``; Chinese: ``dev-zh``)
a logistic regression (L2, features standardized, classes balanced, plain NumPy) predicts
"answerable" from the floor's evidence (``FloorEvidence``). Cross-validation is by corpus: each
corpus (R manuals, gnuplot HTML, Debian text; Debian Reference, Debian Edu manual) is scored by a
model fitted on the others, so the figures say how the rule carries over to a corpus it has not
seen. Printed:

* the trade-off of the cross-validated scores: refused answerable against refused unanswerable
  at several thresholds;
* the weights fitted on all questions of the language, in raw feature units, with the bias
  moved so that at most ``--max-refused`` of the answerable questions fall below it (the
  operating point), ready for ``gpt4all_rag/localdocs/retriever.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = ["similarity", "coverage", "absent"]


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method; returns weights in raw units, bias last."""
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    weight = np.where(y, 0.5 / y.mean(), 0.5 / (1 - y.mean()))  # balanced classes
    w = np.zeros(z.shape[1])
    ridge = np.eye(z.shape[1]) * l2
    ridge[-1, -1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (weight * (p - y)) + ridge @ w
        hessian = (z * (weight * p * (1 - p))[:, None]).T @ z + ridge
        w -= np.linalg.solve(hessian, gradient)
    raw = w[:-1] / std
    return np.append(raw, w[-1] - raw @ mean)


def score(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return x @ w[:-1] + w[-1]


def tradeoff(scores: np.ndarray, y: np.ndarray) -> list[tuple[float, float, float]]:
    """(threshold, refused answerable, refused unanswerable) at the answerable scores."""
    rows = []
    for t in sorted(set(scores[y].tolist())):
        rows.append((t, float((scores[y] < t).mean()), float((scores[~y] < t).mean())))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features", type=Path, help="output of bench/floor_features.py")
    parser.add_argument("--features", dest="names", default=",".join(FEATURES))
    parser.add_argument("--max-refused", type=float, default=0.02)
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args()
    names = args.names.split(",")
    rows: list[dict[str, Any]] = [
        row
        for line in args.features.read_text(encoding="utf-8").splitlines()
        if (row := json.loads(line))["evidence"] is not None
    ]
    for language in ("en", "zh"):
        mine = [row for row in rows if row["language"] == language]
        x = np.array([[row["evidence"][name] for name in names] for row in mine])
        y = np.array([row["answerable"] for row in mine])
        groups = np.array([row["group"] for row in mine])
        oof = np.zeros(len(y))
        for held in sorted(set(groups)):
            train = groups != held
            oof[~train] = score(fit(x[train], y[train], args.l2), x[~train])
        print(f"\n## {language}: {int(y.sum())} answerable, {int((~y).sum())} unanswerable")
        print("cross-validated by corpus (", ", ".join(sorted(set(groups))), ")")
        print("| refused answerable | refused unanswerable | threshold |")
        print("| --- | --- | --- |")
        table = tradeoff(oof, y)
        shown = set()
        for target in (0.0, 0.01, 0.02, 0.03, 0.05, 0.10, 0.20):
            fitting = [row for row in table if row[1] <= target + 1e-9]
            if fitting and fitting[-1] not in shown:
                shown.add(fitting[-1])
                t, ra, ru = fitting[-1]
                print(
                    f"| {ra:.3f} ({round(ra * y.sum())}) | {ru:.3f} ({round(ru * (~y).sum())}) "
                    f"| {t:+.3f} |"
                )
        w = fit(x, y, args.l2)
        s = score(w, x)
        allowed = int(np.floor(args.max_refused * y.sum()))
        cut = np.sort(s[y])[allowed]  # refuse below: `allowed` answerable questions at most
        w[-1] -= cut
        s = score(w, x)
        print(f"fitted on all, bias moved to refuse at most {allowed} answerable:")
        print(
            "  weights:",
            {name: round(float(v), 3) for name, v in zip(names, w[:-1], strict=True)},
            "bias",
            round(float(w[-1]), 3),
        )
        print(
            f"  in sample: refused answerable {(s[y] < 0).mean():.3f}, "
            f"unanswerable {(s[~y] < 0).mean():.3f}"
        )
        for group in sorted(set(groups)):
            part = groups == group
            print(
                f"  {group}: refused answerable {(s[part & y] < 0).mean():.3f} "
                f"of {int((part & y).sum())}, unanswerable {(s[part & ~y] < 0).mean():.3f} "
                f"of {int((part & ~y).sum())}"
            )


if __name__ == "__main__":
    main()

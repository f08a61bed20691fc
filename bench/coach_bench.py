"""Accuracy and speed of the key-result classifier (okapi/core/coach/classifier.py).

    .venv/bin/python bench/coach_bench.py            # both corpora, then the speed
    .venv/bin/python bench/coach_bench.py --errors   # also list every misclassified statement

Reads the labelled corpus tests/data/kr_corpus.csv (the one the rules were developed against)
and the held-out tests/data/kr_corpus_holdout.csv (written at the same time, never used to tune
the rules), and prints for each: accuracy, per-kind precision and recall, and the confusion
matrix. Then it classifies every statement of both files repeatedly and prints statements per
second (single thread; the first pass warms the typo cache and is not timed).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from okapi.core.coach import KrKind, classify_kr  # noqa: E402

DATA = ROOT / "tests" / "data"
FILES = [("corpus", DATA / "kr_corpus.csv"), ("holdout", DATA / "kr_corpus_holdout.csv")]
KINDS = [k.value for k in KrKind]


def load(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return [(row["text"], row["kind"]) for row in csv.DictReader(f)]


def evaluate(name: str, rows: list[tuple[str, str]], show_errors: bool) -> None:
    confusion: Counter[tuple[str, str]] = Counter()
    errors = []
    for text, expected in rows:
        got = classify_kr(text).kind.value
        confusion[(expected, got)] += 1
        if got != expected:
            errors.append((expected, got, text))
    correct = sum(n for (e, g), n in confusion.items() if e == g)
    print(f"\n{name}: {len(rows)} statements, accuracy {correct / len(rows):.1%}")
    print(f"  {'kind':<10} {'precision':>9} {'recall':>7} {'n':>5}")
    for kind in KINDS:
        tp = confusion[(kind, kind)]
        predicted = sum(n for (_, g), n in confusion.items() if g == kind)
        actual = sum(n for (e, _), n in confusion.items() if e == kind)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        print(f"  {kind:<10} {precision:>9.1%} {recall:>7.1%} {actual:>5}")
    print("  confusion (rows: label, columns: predicted)")
    print("  " + " " * 10 + "".join(f"{k:>10}" for k in KINDS))
    for expected in KINDS:
        cells = "".join(f"{confusion[(expected, got)]:>10}" for got in KINDS)
        print(f"  {expected:<10}{cells}")
    if show_errors:
        for expected, got, text in errors:
            print(f"  ✗ {expected} → {got}: {text}")


def speed(texts: list[str], seconds: float) -> None:
    for text in texts:  # warm-up
        classify_kr(text)
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            classify_kr(text)
        count += len(texts)
    elapsed = time.perf_counter() - start
    print(f"\nspeed: {count} classifications in {elapsed:.2f} s = {count / elapsed:,.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list misclassified statements")
    parser.add_argument("--seconds", type=float, default=2.0, help="how long to time (default 2)")
    args = parser.parse_args()
    texts: list[str] = []
    for name, path in FILES:
        rows = load(path)
        texts += [text for text, _ in rows]
        evaluate(name, rows, args.errors)
    speed(texts, args.seconds)


if __name__ == "__main__":
    main()

"""Accuracy of the mid-cycle forecast of a key result's final score (okapi/core/forecast.py).

    .venv/bin/python bench/forecast_bench.py                  # 5,000 KRs, seed 1
    .venv/bin/python bench/forecast_bench.py --seed 2 3 --krs 20000   # one table per seed

The forecast's constants were tuned on seed 1; report on other seeds.

Generates synthetic 13-week cycles with weekly check-ins (linear progress at various rates,
S-curves, fast starts that level off, an early plateau then a jump, a late start, decreasing
metrics; noise of several levels, the occasional outlier and missed weeks). At mid-cycle (the
check-ins up to week 6 or 7) it forecasts the final score with the recency-weighted Theil–Sen
trend of okapi/core/forecast.py and with the naive "current pace" projection, and compares both
with the actual final score (the true end value plus noise). Prints the absolute score error
(mean, median, p90) of both, how often the 80% interval covered the actual end value, the Brier
score of the chance of reaching 0.7 next to the Brier score of always answering the base rate,
and how many noisy histories got a range of a single point (a false certainty: only points on
one line should). A second table does the same for sparse histories: 2 or 3 of those check-ins.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from okapi.core.forecast import (  # noqa: E402
    chance_of_reaching,
    forecast_kr,
    forecast_score,
    naive_pace_forecast,
)

WEEKS = 13
START = dt.date(2027, 1, 4)
END = START + dt.timedelta(weeks=WEEKS)
NOISE_LEVELS = [0.0, 0.02, 0.05, 0.1]  # standard deviation, in progress units (share of the span)
OUTLIER_CHANCE = 0.08  # per history: one check-in far off (a typo, a one-off spike)
MISSED_WEEK_CHANCE = 0.15
ASPIRATION = 0.7

Curve = Callable[[float], float]  # progress (1 = target) at a share of the cycle in [0, 1]


def linear(level: float) -> Curve:
    return lambda tau: level * tau


def s_curve(level: float, rng: random.Random) -> Curve:
    middle, steepness = rng.uniform(0.35, 0.7), rng.uniform(6, 14)

    def logistic(tau: float) -> float:
        return 1 / (1 + math.exp(-steepness * (tau - middle)))

    lo, hi = logistic(0), logistic(1)
    return lambda tau: level * (logistic(tau) - lo) / (hi - lo)


def fast_start(level: float, rng: random.Random) -> Curve:
    rate = rng.uniform(2, 5)
    return lambda tau: level * (1 - math.exp(-rate * tau)) / (1 - math.exp(-rate))


def plateau_jump(level: float, rng: random.Random) -> Curve:
    early, jump_at = rng.uniform(0.0, 0.3) * level, rng.uniform(0.55, 0.85)
    return lambda tau: early * tau / jump_at if tau < jump_at else level


def late_start(level: float, rng: random.Random) -> Curve:
    begins = rng.uniform(0.15, 0.4)
    return lambda tau: 0.0 if tau < begins else level * (tau - begins) / (1 - begins)


@dataclass(frozen=True)
class Case:
    family: str
    checkins: list[tuple[dt.date, float]]
    baseline: float
    target: float
    actual: float  # the value at the end of the cycle
    noise: float
    outlier: bool


def make_case(rng: random.Random) -> Case:
    family = rng.choice(
        ["linear", "s_curve", "fast_start", "plateau_jump", "late_start", "decreasing"]
    )
    level = rng.uniform(0.1, 1.3)  # true final progress
    curve = {
        "linear": lambda: linear(level),
        "s_curve": lambda: s_curve(level, rng),
        "fast_start": lambda: fast_start(level, rng),
        "plateau_jump": lambda: plateau_jump(level, rng),
        "late_start": lambda: late_start(level, rng),
        "decreasing": lambda: rng.choice([linear(level), fast_start(level, rng)]),
    }[family]()
    baseline = rng.uniform(50, 1000)
    span = baseline * rng.uniform(0.1, 1.0) * (-0.8 if family == "decreasing" else 1)
    noise = rng.choice(NOISE_LEVELS)
    cutoff = rng.choice([6, 7])
    outlier_week = rng.randint(1, cutoff) if rng.random() < OUTLIER_CHANCE else None
    checkins = []
    for week in range(1, cutoff + 1):
        if rng.random() < MISSED_WEEK_CHANCE:
            continue
        progress = curve(week / WEEKS) + rng.gauss(0, noise)
        if week == outlier_week:
            progress += rng.choice([-1, 1]) * rng.uniform(0.3, 0.8)
        checkins.append((START + dt.timedelta(weeks=week), baseline + span * progress))
    actual = baseline + span * (curve(1.0) + rng.gauss(0, noise))
    return Case(
        family, checkins, baseline, baseline + span, actual, noise, outlier_week is not None
    )


def score_of(value: float, case: Case) -> float:
    return min(1.0, max(0.0, (value - case.baseline) / (case.target - case.baseline)))


@dataclass
class Tally:
    sen_errors: list[float]
    naive_errors: list[float]
    covered: int = 0
    brier: float = 0.0
    reached: int = 0
    point_ranges: int = 0

    @property
    def n(self) -> int:
        return len(self.sen_errors)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(name: str, t: Tally) -> str:
    base_rate = t.reached / t.n
    base_brier = base_rate * (1 - base_rate)  # Brier of always answering the base rate
    cells = [
        f"{sum(t.sen_errors) / t.n:.3f}/{sum(t.naive_errors) / t.n:.3f}",
        f"{quantile(t.sen_errors, 0.5):.3f}/{quantile(t.naive_errors, 0.5):.3f}",
        f"{quantile(t.sen_errors, 0.9):.3f}/{quantile(t.naive_errors, 0.9):.3f}",
        f"{t.covered / t.n:.1%}",
        f"{t.brier / t.n:.3f}/{base_brier:.3f}",
        f"{t.point_ranges}",
    ]
    return f"{name:<13}{t.n:>6}  " + "".join(f"{c:>15}" for c in cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, nargs="+", default=[1], help="random seeds (1)")
    parser.add_argument("--krs", type=int, default=5000, help="histories to generate (5000)")
    args = parser.parse_args()
    for i, seed in enumerate(args.seed):
        if i:
            print("\n")
        run(seed=seed, krs=args.krs)


def sparse(case: Case, rng: random.Random) -> Case | None:
    """The same history with only two or three of its check-ins kept (None with fewer)."""
    if len(case.checkins) < 2:
        return None
    kept = sorted(rng.sample(case.checkins, rng.randint(2, min(3, len(case.checkins)))))
    return replace(case, checkins=kept)


def tally(case: Case, tallies: dict[str, Tally], keys: list[str]) -> bool:
    """Forecast this case and count it under these keys; False when either projection is None."""
    f = forecast_kr(checkins=case.checkins, start=START, end=END, baseline=case.baseline)
    naive = naive_pace_forecast(
        checkins=case.checkins, start=START, end=END, baseline=case.baseline
    )
    if f is None or naive is None:
        return False
    actual_score = score_of(case.actual, case)
    sen_score, _, _ = forecast_score(f, baseline=case.baseline, target=case.target)
    chance = chance_of_reaching(f, baseline=case.baseline, target=case.target, score=ASPIRATION)
    reached = actual_score >= ASPIRATION
    slack = 1e-9 * abs(case.actual)  # an exact fit can miss an exact end value by an ulp
    for key in keys:
        t = tallies[key]
        t.sen_errors.append(abs(sen_score - actual_score))
        t.naive_errors.append(abs(score_of(naive, case) - actual_score))
        t.covered += f.low - slack <= case.actual <= f.high + slack
        t.brier += (chance - reached) ** 2
        t.reached += reached
        # A noisy history never lies on one line: a range of one point there is a false certainty.
        t.point_ranges += case.noise > 0 and f.low == f.high
    return True


HEADS = ["MAE", "median", "p90", "80% covered", "Brier", "point ranges"]


def run(*, seed: int, krs: int) -> None:
    rng = random.Random(seed)
    tallies: dict[str, Tally] = defaultdict(lambda: Tally([], []))
    skipped = 0
    for _ in range(krs):
        case = make_case(rng)
        conditions = [f"noise {case.noise:.2f}"] + (["with outlier"] if case.outlier else [])
        skipped += not tally(case, tallies, [case.family, "all", *conditions])
    print(f"{krs} KRs, seed {seed}, forecast at week 6 or 7 of {WEEKS}")
    print(f"skipped {skipped} with fewer than 2 check-ins by mid-cycle")
    print("score error as forecast/naive pace; Brier of chance(≥0.7) as forecast/base rate;")
    print("point ranges: forecasts of noisy histories whose 80% range is a single point\n")
    print(f"{'family':<13}{'n':>6}  " + "".join(f"{h:>15}" for h in HEADS))
    families = sorted({k for k in tallies if k != "all" and " " not in k})
    for name in families:
        print(row(name, tallies[name]))
    print(row("all", tallies["all"]))
    print()
    for name in sorted(k for k in tallies if " " in k):
        print(row(name, tallies[name]))

    # The same kinds of history with only 2 or 3 check-ins by mid-cycle (a separate stream, so
    # the table above does not depend on it): the baseline and a few points make a thin trend.
    rng = random.Random(f"{seed}-sparse")
    few: dict[str, Tally] = defaultdict(lambda: Tally([], []))
    for _ in range(krs):
        case = sparse(make_case(rng), rng)
        if case is not None:
            tally(case, few, [f"{len(case.checkins)} check-ins", "sparse"])
    print("\nsparse histories: 2 or 3 of the check-ins above, at random weeks up to mid-cycle\n")
    print(f"{'history':<13}{'n':>6}  " + "".join(f"{h:>15}" for h in HEADS))
    for name in ("2 check-ins", "3 check-ins", "sparse"):
        print(row(name, few[name]))


if __name__ == "__main__":
    main()

"""Properties of the SaaS metrics engine on random exports, and a brute-force oracle.

The oracle reads FORMATS §6 literally: for every month it asks every subscription whether it is
active on the month's last day, with exact fractions, and derives every figure from there.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from okapi.core.saas import OUTPUT_FIELDS, SPEND_FIELDS, compute_saas_metrics

HEADER = "subscription_id,customer_id,start_date,end_date,interval,amount,quantity,currency"
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
EPOCH = date(2023, 1, 1)


@dataclass(frozen=True)
class Sub:
    customer: str
    start: date
    end: date | None
    interval: str
    amount: Decimal
    quantity: int | None

    def mrr(self) -> Fraction:
        quantity = 1 if self.quantity is None else self.quantity
        return Fraction(self.amount) * quantity / MONTHS_IN[self.interval]


subscriptions = st.lists(
    st.builds(
        lambda customer, start, length, interval, amount, quantity: Sub(
            customer,
            EPOCH + timedelta(days=start),
            None if length is None else EPOCH + timedelta(days=start + length),
            interval,
            amount,
            quantity,
        ),
        st.sampled_from("abcde"),
        st.integers(0, 700),
        st.one_of(st.none(), st.integers(0, 500)),
        st.sampled_from(sorted(MONTHS_IN)),
        st.one_of(
            st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("0.3"), Decimal("100")]),
            st.decimals(min_value=0, max_value=5000, places=2),
        ),
        st.one_of(st.none(), st.integers(0, 4)),
    ),
    min_size=1,
    max_size=14,
)
spend_rows = st.dictionaries(
    st.integers(0, 40),
    st.tuples(
        st.decimals(min_value=0, max_value=100000, places=2),
        st.decimals(min_value=Decimal("0.01"), max_value=1, places=2),
    ),
    max_size=20,
)


def write_csv(folder: Path, subs: list[Sub]) -> Path:
    path = folder / "subscriptions.csv"
    lines = [HEADER] + [
        f"s{i},{s.customer},{s.start},{s.end or ''},{s.interval},{s.amount},"
        f"{'' if s.quantity is None else s.quantity},USD"
        for i, s in enumerate(subs)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def last_day(index: int) -> date:
    year, month = divmod(index + 1, 12)
    return date(year, month + 1, 1) - timedelta(days=1)


def exact(value: Fraction) -> Decimal:
    with localcontext(prec=60):
        return Decimal(value.numerator) / Decimal(value.denominator)


def money(value: Fraction) -> Decimal:
    return exact(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) + 0


def rate(numerator: Fraction, denominator: Fraction) -> float | None:
    if not denominator:
        return None
    return float(exact(numerator / denominator).quantize(Decimal("0.000001"), ROUND_HALF_EVEN))


def oracle(subs: list[Sub], spend: dict[int, tuple[Decimal, Decimal]] | None = None) -> list[dict]:
    first = min(month_index(s.start) for s in subs)
    last = max(month_index(d) for s in subs for d in (s.start, s.end) if d is not None)

    def mrr_by_customer(index: int) -> dict[str, Fraction]:
        day = last_day(index)
        out: dict[str, Fraction] = {}
        for s in subs:
            if s.start <= day and (s.end is None or day < s.end):
                out[s.customer] = out.get(s.customer, Fraction(0)) + s.mrr()
        return {c: v for c, v in out.items() if v > 0}

    months = []
    seen: set[str] = set()
    for index in range(first, last + 1):
        now, before, then = (mrr_by_customer(index - lag) for lag in (0, 1, 12))
        total, total_before = sum(now.values(), Fraction(0)), sum(before.values(), Fraction(0))
        new = [c for c in now if c not in before and c not in seen]
        back = [c for c in now if c not in before and c in seen]
        gone = [c for c in before if c not in now]
        up = sum(
            (now[c] - before[c] for c in now if c in before and now[c] > before[c]), Fraction(0)
        )
        down = sum(
            (before[c] - now[c] for c in now if c in before and now[c] < before[c]), Fraction(0)
        )
        new_v = sum((now[c] for c in new), Fraction(0))
        back_v = sum((now[c] for c in back), Fraction(0))
        gone_v = sum((before[c] for c in gone), Fraction(0))
        cohort = sum(then.values(), Fraction(0))
        arpa = total / len(now) if now else None
        logo_churn = Fraction(len(gone), len(before)) if before else None
        month = {
            "month": f"{index // 12}-{index % 12 + 1:02d}",
            "mrr": money(total),
            "arr": money(total * 12),
            "customers": len(now),
            "new_mrr": money(new_v),
            "expansion_mrr": money(up),
            "contraction_mrr": money(down),
            "churned_mrr": money(gone_v),
            "reactivation_mrr": money(back_v),
            "net_new_mrr": money(new_v + up + back_v - down - gone_v),
            "new_customers": len(new),
            "churned_customers": len(gone),
            "reactivated_customers": len(back),
            "mrr_growth_rate": rate(total - total_before, total_before),
            "logo_churn_rate": None if logo_churn is None else rate(logo_churn, Fraction(1)),
            "gross_mrr_churn_rate": rate(down + gone_v, total_before),
            "nrr_monthly": rate(total_before + up - down - gone_v, total_before),
            "grr_monthly": rate(total_before - down - gone_v, total_before),
            "nrr_12m": rate(sum((now.get(c, Fraction(0)) for c in then), Fraction(0)), cohort),
            "grr_12m": rate(
                sum((min(v, now.get(c, Fraction(0))) for c, v in then.items()), Fraction(0)),
                cohort,
            ),
            "arpa": None if arpa is None else money(arpa),
            "quick_ratio": rate(new_v + up + back_v, down + gone_v),
        }
        if spend is not None:
            month.update(dict.fromkeys(SPEND_FIELDS))
            if index - first in spend:
                outlay, margin = (Fraction(v) for v in spend[index - first])
                cac = outlay / len(new) if new else None
                ltv = arpa * margin / logo_churn if arpa is not None and logo_churn else None
                month["cac"] = None if cac is None else money(cac)
                month["cac_payback_months"] = (
                    None if cac is None else rate(cac, new_v / len(new) * margin)
                )
                month["ltv"] = None if ltv is None else money(ltv)
                month["ltv_cac"] = None if ltv is None or cac is None else rate(ltv, cac)
        months.append(month)
        seen.update(now)
    return months


@settings(max_examples=100, deadline=None)
@given(subscriptions, st.one_of(st.none(), spend_rows))
def test_it_agrees_with_the_brute_force_oracle(subs, spend):
    with tempfile.TemporaryDirectory() as folder:
        spend_path = None
        if spend is not None:
            first = min(month_index(s.start) for s in subs)
            spend_path = Path(folder) / "spend.csv"
            spend_path.write_text(
                "month,sales_marketing_spend,gross_margin\n"
                + "".join(
                    f"{(first + k) // 12}-{(first + k) % 12 + 1:02d},{outlay},{margin}\n"
                    for k, (outlay, margin) in spend.items()
                ),
                encoding="utf-8",
            )
        report = compute_saas_metrics(write_csv(Path(folder), subs), spend_path)
    assert report.months == oracle(subs, spend)
    fields = OUTPUT_FIELDS + (SPEND_FIELDS if spend is not None else ())
    assert all(tuple(month) == fields for month in report.months)


@settings(max_examples=80, deadline=None)
@given(subscriptions)
def test_it_keeps_the_invariants(subs):
    with tempfile.TemporaryDirectory() as folder:
        months = compute_saas_metrics(write_csv(Path(folder), subs)).months
    cent = Decimal("0.01")
    previous_mrr, previous_customers = Decimal(0), 0
    for m in months:
        movements = (
            m["new_mrr"]
            + m["expansion_mrr"]
            + m["reactivation_mrr"]
            - m["contraction_mrr"]
            - m["churned_mrr"]
        )
        # each figure is rounded once, so sums of them may be off by a cent or so
        assert abs(movements - m["net_new_mrr"]) <= 3 * cent
        assert abs(m["net_new_mrr"] - (m["mrr"] - previous_mrr)) <= cent
        assert m["mrr"] >= 0 and m["arr"] >= 0 and m["customers"] >= 0
        assert all(
            m[f] >= 0
            for f in (
                "new_mrr",
                "expansion_mrr",
                "contraction_mrr",
                "churned_mrr",
                "reactivation_mrr",
            )
        )
        assert m["customers"] == (
            previous_customers
            + m["new_customers"]
            + m["reactivated_customers"]
            - m["churned_customers"]
        )
        if m["customers"] == 0:
            assert m["mrr"] == 0 and m["arpa"] is None
        if m["nrr_12m"] is not None:
            assert m["grr_12m"] <= m["nrr_12m"] and 0 <= m["grr_12m"] <= 1
        else:
            assert m["grr_12m"] is None
        if m["nrr_monthly"] is not None:
            assert m["grr_monthly"] <= m["nrr_monthly"] and 0 <= m["grr_monthly"] <= 1
            assert 0 <= m["logo_churn_rate"] <= 1
        else:
            assert previous_mrr == 0 or previous_customers == 0 or m["grr_monthly"] is None
        previous_mrr, previous_customers = m["mrr"], m["customers"]


@settings(max_examples=40, deadline=None)
@given(subscriptions, st.data())
def test_it_prints_a_slice_of_the_same_months_with_from_and_to(subs, data):
    with tempfile.TemporaryDirectory() as folder:
        path = write_csv(Path(folder), subs)
        full = compute_saas_metrics(path).months
        names = [m["month"] for m in full]
        lo = data.draw(st.integers(0, len(names) - 1))
        hi = data.draw(st.integers(lo, len(names) - 1))
        sliced = compute_saas_metrics(path, month_from=names[lo], month_to=names[hi]).months
    assert sliced == full[lo : hi + 1]

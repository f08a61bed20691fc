"""Invariants of the key-result classifier on arbitrary text (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from okapi.core.coach import KrKind, classify_kr

VOCABULARY = (
    "increase reduce maintain keep hold launch publish hire from to by above below under at "
    "least weekly every month NRR churn 110% $2M ten twenty percent Q3 blog posts meetings "
    "website the a of and , . - : + ≥ < = ± 3x 4.5/5 1:1s SOC 2 increse maintian"
)
WORDS = st.sampled_from(VOCABULARY.split())
STATEMENTS = st.one_of(
    st.text(max_size=200),
    st.lists(WORDS, max_size=25).map(" ".join),
)


@settings(max_examples=400, deadline=None)
@given(STATEMENTS)
def test_it_never_crashes_and_always_explains(text: str) -> None:
    verdict = classify_kr(text)
    assert verdict.kind in set(KrKind)
    assert verdict.text == text
    assert verdict.reasons and all(isinstance(r, str) and r for r in verdict.reasons)
    assert isinstance(verdict.suggestion, str)
    if verdict.kind is not KrKind.OUTCOME:
        assert verdict.suggestion, "every flagged statement gets a suggestion"


@settings(max_examples=200, deadline=None)
@given(STATEMENTS)
def test_it_is_deterministic(text: str) -> None:
    assert classify_kr(text) == classify_kr(text)
    assert classify_kr(text).to_dict() == classify_kr(text).to_dict()

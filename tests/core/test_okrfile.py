import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okapi.core.okrfile import OkrFileError, dump_okr_yaml, load_okr_yaml

EXAMPLE = (Path(__file__).parent.parent / "data" / "formats_example.yaml").read_text()


def problems(text: str) -> list[str]:
    with pytest.raises(OkrFileError) as info:
        load_okr_yaml(text)
    return [str(p) for p in info.value.problems]


def test_it_reads_the_formats_example():
    doc = load_okr_yaml(EXAMPLE)
    kr = doc.objectives[0].key_results[0]
    assert (kr.key, kr.owner, kr.kpi, str(kr.baseline), str(kr.target)) == (
        "retention-nrr", "maria@acme.test", "nrr", "108", "120")  # fmt: skip
    assert kr.checkins[0].moved == "Onboarding emails shipped"
    assert doc.kpis[0].measurements[0].value == 108


def test_it_writes_what_it_reads():
    text = dump_okr_yaml(load_okr_yaml(EXAMPLE))
    assert dump_okr_yaml(load_okr_yaml(text)) == text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("owner: maria@acme.test\n        kind", "owner: x@acme.test\n        kind"),
         "objectives[0].key_results[0].owner: unknown person 'x@acme.test'"),
        (("cycle: 2027-Q1", "cycle: 2027-Q9"), "objectives[0].cycle: unknown cycle '2027-Q9'"),
        (("kpi: nrr ", "kpi: arr "), "objectives[0].key_results[0].kpi: unknown KPI 'arr'"),
        (("parent: null             # key", "parent: retention        # key"),
         "objectives[0].parent: objective 'retention' is its own ancestor"),
        (("value: 109", "value: lots"), "objectives[0].key_results[0].checkins[0].value: 'lots' is not a number"),
        (("end: 2027-03-31", "end: 2026-03-31"), "cycles[0].end: 2026-03-31 is before the start 2027-01-01"),
        (("direction: up ", "direction: sideways "), "kpis[0].direction: 'sideways' is not one of up, down, range"),
        (("warning: 105", "warning: 115"), "kpis[0].warning: must be at or below the target (higher is better)"),
        (("confidence: on_track", "confidence: great"),
         "objectives[0].key_results[0].checkins[0].confidence: 'great' is not one of on_track, at_risk, off_track"),
        (("initiatives: [onboarding-revamp]", "initiatives: [nope]"),
         "objectives[0].key_results[0].initiatives[0]: unknown initiative 'nope'"),
        (("- key: retention\n", "- key: bad key!\n"), "objectives[0].key: 'bad key!' is not a valid key"),
    ],
)  # fmt: skip
def test_it_names_the_place_of_each_problem(change, expected):
    old, new = change
    assert old in EXAMPLE
    found = problems(EXAMPLE.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_it_reports_every_problem_at_once():
    text = EXAMPLE.replace("cycle: 2027-Q1", "cycle: nope").replace("kpi: nrr ", "kpi: arr ")
    assert len(problems(text)) == 2


def test_it_refuses_duplicates_and_unknown_fields():
    text = EXAMPLE.replace("teams:\n", "teams:\n  - {key: growth, name: Again}\n", 1)
    assert "teams[1].key: duplicate key 'growth'" in problems(text)
    assert "objectives[0].colour: unknown field" in problems(
        EXAMPLE.replace("    type: aspirational", "    colour: blue\n    type: aspirational")
    )


def test_it_names_the_line_of_broken_yaml():
    assert problems("objectives: [\n  {key: a")[0].startswith("line ")


@pytest.mark.parametrize("text", ["", "[]", "42", "objectives: 3", "people: [3]"])
def test_it_refuses_documents_of_the_wrong_shape_without_crashing(text):
    if text == "":
        load_okr_yaml(text)  # an empty file is an empty, valid document
    else:
        assert problems(text)


@settings(max_examples=200)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.floats(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["key", "title", "objectives", "people", "teams", "cycles", "kpis",
                         "owner", "key_results", "checkins", "at", "value", "start", "end"]),
        children, max_size=4),
    max_leaves=12,
))  # fmt: skip
def test_it_never_crashes_on_arbitrary_documents(data):
    from okapi.core.okrfile import parse_okr_document

    with contextlib.suppress(OkrFileError):
        parse_okr_document(data)

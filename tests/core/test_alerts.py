from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okapi.core.alerts import (
    OUTLIER_MIN_HISTORY,
    OUTLIER_WINDOW,
    UNSEEN,
    AlertKind,
    KpiAlertState,
    OutlierBand,
    format_value,
    is_outlier,
    kpi_alerts,
    outlier_band,
)

STEADY = [100, 102, 98, 101, 99, 100, 103, 97]


# --------------------------------------------------------------------------- outliers


def test_it_builds_a_robust_band_from_the_values_before_the_latest():
    band = outlier_band([*STEADY, 500])
    assert band is not None
    assert band.window == len(STEADY)
    assert band.median == 100
    # MAD of STEADY is 1.5: 100 ± 3.5 × 1.4826 × 1.5
    assert band.low == pytest.approx(100 - 3.5 * 1.4826 * 1.5)
    assert band.high == pytest.approx(100 + 3.5 * 1.4826 * 1.5)


def test_it_ignores_the_latest_value_and_anything_before_the_window():
    old = [10_000] * 20
    band = outlier_band([*old, *[100] * OUTLIER_WINDOW, 10_000])
    assert band is not None and band.window == OUTLIER_WINDOW
    assert band.median == 100


@pytest.mark.parametrize(
    ("history", "has_band"),
    [
        ([], False),
        ([100] * OUTLIER_MIN_HISTORY, False),  # the last one is the latest: 5 before it
        ([100] * (OUTLIER_MIN_HISTORY + 1), True),
    ],
)
def test_it_needs_enough_history(history, has_band):
    assert (outlier_band(history) is not None) == has_band


@pytest.mark.parametrize(
    ("history", "value", "outlier"),
    [
        (STEADY, 100, False), (STEADY, 107, False), (STEADY, 108, True), (STEADY, 80, True),
        ([100] * 8, 103, False), ([100] * 8, 103.5, False), ([100] * 8, 104, True),  # flat: 1% floor
        ([0] * 8, 0, False), ([0] * 8, 1, True), ([0] * 8, -0.001, True),  # flat at zero
        ([D("1.10"), D("1.12"), D("1.08"), D("1.11"), D("1.09"), D("1.10")], D("1.5"), True),
    ],
)  # fmt: skip
def test_it_flags_values_far_from_the_usual(history, value, outlier):
    band = outlier_band([*history, value])
    assert is_outlier(value, band) == outlier


def test_it_never_flags_without_a_band():
    assert not is_outlier(1e9, None)


@given(st.lists(st.floats(-1e6, 1e6), min_size=OUTLIER_MIN_HISTORY + 1, max_size=30))
def test_it_never_flags_the_median(history):
    band = outlier_band(history)
    assert band is not None
    assert band.low < band.median < band.high
    assert not is_outlier(band.median, band)


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(104, "%", "104%"), (D("104.50"), "%", "104.5%"), (12000, "$", "$12,000"),
     (-250, "€", "-€250"), (3.456, "months", "3.46 months"), (0, "", "0"), (D("-0.001"), "", "0")],
)  # fmt: skip
def test_it_formats_values_for_people(value, unit, text):
    assert format_value(value, unit) == text


# --------------------------------------------------------------------------- the state machine


def seen(health="green", stale=False, outlier_at=None):
    return KpiAlertState(health=health, stale=stale, outlier_at=outlier_at)


def observe(previous, health="green", stale=False, value=104, at="2027-02-15T09:00:00+00:00",
            band=None, target_text="110%"):  # fmt: skip
    return kpi_alerts(name="NRR", unit="%", previous=previous, health=health, stale=stale,
                      latest_value=value, latest_at_iso=at, band=band, target_text=target_text)  # fmt: skip


BAND = OutlierBand(low=95, high=115, median=105, window=12)


@pytest.mark.parametrize(
    ("previous", "health", "stale", "kinds"),
    [
        (seen("green"), "green", False, []),
        (seen("green"), "red", False, ["health_changed"]),
        (seen("green"), "amber", False, ["health_changed"]),
        (seen("red"), "green", False, ["health_changed"]),  # recovered
        (seen("no_data"), "red", False, []),  # the first reading
        (seen("red"), "no_data", False, []),
        (seen("green"), "green", True, ["stale"]),
        (seen("green", stale=True), "green", True, []),  # already announced
        (seen("green", stale=True), "green", False, ["health_changed"]),  # stale -> green
        (seen("green", stale=True), "red", False, ["health_changed"]),  # one change: stale -> red
        (seen("amber"), "red", True, ["health_changed", "stale"]),
        (UNSEEN, "red", True, []),  # the first look only records the state
    ],
)  # fmt: skip
def test_it_announces_each_change_once(previous, health, stale, kinds):
    alerts, state = observe(previous, health=health, stale=stale)
    assert [a.kind for a in alerts] == kinds
    assert state == KpiAlertState(health=health, stale=stale, outlier_at=None)
    assert observe(state, health=health, stale=stale)[0] == []


@pytest.mark.parametrize(
    ("before", "after", "value", "target_text", "message"),
    [
        ("green", "red", 104, "110%", "NRR went from green to red (104% against a target of 110%)."),
        ("red", "green", 112, "110%", "NRR recovered from red to green (112% against a target of 110%)."),
        ("amber", "red", 101.5, "", "NRR went from amber to red (now 101.5%)."),
        ("red", "amber", None, "110%", "NRR went from red to amber."),
    ],
)  # fmt: skip
def test_it_says_what_changed(before, after, value, target_text, message):
    alerts, _ = observe(seen(before), health=after, value=value, target_text=target_text)
    [alert] = alerts
    assert (alert.kind, alert.previous, alert.current) == (AlertKind.HEALTH_CHANGED, before, after)
    assert alert.message == message


def test_fresh_data_after_a_stale_spell_is_a_change_from_stale():
    [alert], _ = observe(seen("green", stale=True), health="red", value=101)
    assert (alert.previous, alert.current) == ("stale", "red")
    assert alert.message == (
        "NRR has fresh data again after being stale: 101% against a target of 110% (red)."
    )


def test_it_says_when_a_kpi_went_stale():
    [alert] = observe(seen(), stale=True, at="2027-01-02T10:00:00+00:00")[0]
    assert (alert.previous, alert.current) == ("green", "stale")
    assert alert.message == (
        "NRR is stale: no new measurement since 2027-01-02, more than two cadence periods."
    )


def test_it_announces_an_outlier_once_per_measurement():
    alerts, state = observe(seen(), value=150, at="2027-02-15T09:00:00+00:00", band=BAND)
    assert [a.kind for a in alerts] == ["outlier"]
    assert alerts[0].message == (
        "NRR came in at 150%, far above its usual range of 95% to 115% over the last 12 measurements."
    )
    assert state.outlier_at == "2027-02-15T09:00:00+00:00"
    assert observe(state, value=150, at="2027-02-15T09:00:00+00:00", band=BAND)[0] == []
    # The next measurement is back to normal: nothing, and the last outlier is remembered.
    alerts, state = observe(state, value=105, at="2027-02-16T09:00:00+00:00", band=BAND)
    assert alerts == [] and state.outlier_at == "2027-02-15T09:00:00+00:00"
    # Another unusual measurement is another announcement.
    alerts, state = observe(state, value=60, at="2027-02-17T09:00:00+00:00", band=BAND)
    assert "far below" in alerts[0].message
    assert state.outlier_at == "2027-02-17T09:00:00+00:00"


def test_it_does_not_announce_an_outlier_it_sees_for_the_first_time():
    alerts, state = observe(UNSEEN, value=150, band=BAND)
    assert alerts == [] and state.outlier_at is not None
    assert observe(state, value=150, band=BAND)[0] == []


def test_it_keeps_the_colour_when_told_the_kpi_is_stale():
    alerts, state = observe(seen("amber"), health="stale", stale=False)
    assert [a.kind for a in alerts] == ["stale"]
    assert state == KpiAlertState(health="amber", stale=True, outlier_at=None)


HEALTHS = st.sampled_from(["green", "amber", "red", "no_data"])
STATES = st.builds(
    KpiAlertState,
    health=st.none() | HEALTHS,
    stale=st.booleans(),
    outlier_at=st.none() | st.sampled_from(["2027-01-01", "2027-01-02"]),
)
OBSERVATIONS = st.fixed_dictionaries(
    {
        "health": HEALTHS | st.just("stale"),
        "stale": st.booleans(),
        "value": st.none() | st.sampled_from([50, 105, 150]),
        "at": st.none() | st.sampled_from(["2027-01-01", "2027-01-02", "2027-01-03"]),
        "band": st.none() | st.just(BAND),
    }
)


@given(STATES, OBSERVATIONS)
def test_it_never_alerts_twice_for_the_same_observation(previous, observation):
    _, state = observe(previous, **observation)
    alerts, again = observe(state, **observation)
    assert alerts == []
    assert again == state


@given(st.lists(st.tuples(HEALTHS, st.booleans()), max_size=30))
def test_it_announces_every_change_between_colours_and_nothing_else(sequence):
    colours = {"green", "amber", "red"}
    state, health_alerts = UNSEEN, 0
    for health, repeat in sequence:
        for _ in range(2 if repeat else 1):
            alerts, state = observe(state, health=health)
            health_alerts += sum(a.kind == AlertKind.HEALTH_CHANGED for a in alerts)
    changes = sum(
        a in colours and b in colours and a != b
        for (a, _), (b, _) in zip(sequence, sequence[1:], strict=False)
    )
    assert health_alerts == changes

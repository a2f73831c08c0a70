from __future__ import annotations

from datetime import UTC, datetime, timedelta

from layers.domain.products import ReadRecord, group_reads

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def a_read(event_id: int, minutes: int, **overrides: object) -> ReadRecord:
    fields: dict[str, object] = {
        "event_id": event_id,
        "at": T0 + timedelta(minutes=minutes),
        "action": "values.read",
        "dataset": "recorded-crime",
        "indicators": ("burglary",),
        "level": "lsoa11",
        "periods": ("2025-03",),
        "area": "",
        "use": "map",
        "agreements": ("ISA-2025-001",),
    }
    fields.update(overrides)
    return ReadRecord(**fields)  # type: ignore[arg-type]


def test_reads_of_the_same_figures_make_one_group_led_by_the_latest_read():
    groups = group_reads([a_read(1, 0), a_read(3, 20, use="export"), a_read(2, 10)])
    assert len(groups) == 1
    (group,) = groups
    assert group.event_id == 3
    assert group.n_reads == 3
    assert group.first_at == T0
    assert group.uses == {"map", "export"}


def test_a_different_period_level_area_or_agreement_is_a_different_group():
    groups = group_reads(
        [
            a_read(1, 0),
            a_read(2, 1, periods=("2025-04",)),
            a_read(3, 2, level="msoa11"),
            a_read(4, 3, area="E02000001"),
            a_read(5, 4, agreements=()),
            a_read(6, 5, action="profile.read", dataset="", indicators=("burglary", "imd-rank")),
        ]
    )
    assert [g.event_id for g in groups] == [6, 5, 4, 3, 2, 1]
    assert all(g.n_reads == 1 for g in groups)


def test_groups_come_most_recently_read_first():
    groups = group_reads(
        [
            a_read(1, 0, periods=("2025-01",)),
            a_read(2, 5, periods=("2025-02",)),
            a_read(3, 10, periods=("2025-01",)),
        ]
    )
    assert [(g.latest.periods, g.n_reads) for g in groups] == [
        (("2025-01",), 2),
        (("2025-02",), 1),
    ]


def test_no_reads_no_groups():
    assert group_reads([]) == []

"""The reads a product can cite, grouped as an analyst thinks of them (pure).

An analyst who recorded a tasking briefing remembers "burglary by LSOA for March, and the
profile of Northfield", not the forty map reads behind it. So the picker shows one row per
distinct thing read (the dataset, indicators, level, periods, area and the agreements it
was read under), most recent first, with how many reads it stands for and the uses
(map, api, export) they were made for. A product records the group by its latest read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReadRecord:
    """One audited read of the viewer's own, as plain data (from an AuditEvent)."""

    event_id: int
    at: datetime
    action: str
    dataset: str  # slug, or "" for a read over several datasets (an area profile)
    indicators: tuple[str, ...]
    level: str
    periods: tuple[str, ...]
    area: str  # the profile's area, or the map's `within`; "" for a whole level
    use: str
    agreements: tuple[str, ...]  # references; () for the agency's own data

    @property
    def key(self) -> tuple[object, ...]:
        """What was read and under which agreements; the use is not part of it, since a
        map read and an export of the same figures are the same evidence."""
        return (
            self.action,
            self.dataset,
            self.indicators,
            self.level,
            self.periods,
            self.area,
            self.agreements,
        )


@dataclass(slots=True)
class ReadGroup:
    """Reads of the same figures: the latest stands for the group."""

    latest: ReadRecord
    n_reads: int = 1
    first_at: datetime | None = None
    uses: set[str] = field(default_factory=set)
    event_ids: list[int] = field(default_factory=list)

    @property
    def event_id(self) -> int:
        return self.latest.event_id


def group_reads(records: Iterable[ReadRecord]) -> list[ReadGroup]:
    """Group reads by what was read and under which agreements (ReadRecord.key); most
    recently read first, ties by the later event. Each group counts its reads, keeps their
    event ids, notes the first time it was read and the uses it was read for."""
    groups: dict[tuple[object, ...], ReadGroup] = {}
    for record in records:
        group = groups.get(record.key)
        if group is None:
            groups[record.key] = ReadGroup(
                latest=record,
                first_at=record.at,
                uses={record.use} - {""},
                event_ids=[record.event_id],
            )
            continue
        group.n_reads += 1
        group.event_ids.append(record.event_id)
        if record.use:
            group.uses.add(record.use)
        if (record.at, record.event_id) > (group.latest.at, group.latest.event_id):
            group.latest = record
        if group.first_at is None or record.at < group.first_at:
            group.first_at = record.at
    return sorted(groups.values(), key=lambda g: (g.latest.at, g.latest.event_id), reverse=True)

"""run(): one upload, from file to published release (or rejection), the same for the
command, the upload page (through the background worker) and the API.

1. keep the file (sha256); the same file for the same dataset again does nothing;
2. read the header and map the columns;
3. check every row (a chunk at a time, on integer codes: tabular.py); with commit, each
   chunk's good values go, in the read index's order, into a table of the release's own
   by binary COPY while the next chunk is read (records.py, store.ValueStream);
4. if anything is wrong (a repeat anywhere in the file included), keep the release as
   `rejected` with its report and roll its table back; otherwise publish it, in the same
   transaction.
A crash or kill at any point leaves the previous release current: the new release's
values are in an uncommitted transaction until the moment it is published.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from ingest.pipeline.detect import FileRefused, KeptFile, keep_file
from ingest.pipeline.parse import ParseError, map_columns
from ingest.pipeline.points import GEO_FORMATS, aggregate, is_points, read_points
from ingest.pipeline.publish import publish_release
from ingest.pipeline.records import Records, Summary
from ingest.pipeline.report import Problem
from ingest.pipeline.store import (
    ReleaseTable,
    ValueStream,
    large_changes,
    period_ids,
    working_on,
)
from ingest.pipeline.tabular import CellTexts, Frames, TableChecker, read_frames
from ingest.pipeline.validate import (
    MAX_PROBLEMS,
    Context,
    EditionLink,
    IndicatorInfo,
    Outcome,
)
from layers import audit
from layers.models import Area, Dataset, Lookup, Release


@dataclass(slots=True)
class Options:
    period: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    indicator_columns: dict[str, str] = field(default_factory=dict)
    skip_unknown_areas: bool = False
    edition_method: str | None = None
    indicator: str | None = None  # points: the indicator every point counts towards


@dataclass(slots=True)
class Result:
    ok: bool
    committed: bool
    summary: str
    problems: list[Problem] = field(default_factory=list)
    n_problems: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    release: Release | None = None
    duplicate_of: Release | None = None

    def as_report(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "notes": self.notes,
            "warnings": self.warnings,
            "n_problems": self.n_problems,
            "problems": [
                {"row": p.row, "column": p.column, "value": p.value, "message": p.message}
                for p in self.problems
            ],
        }

    def render(self) -> str:
        lines = [self.summary, *[f"  {n}" for n in self.notes]]
        lines += [f"  WARNING: {w}" for w in self.warnings]
        if self.n_problems:
            lines.append(f"  REJECTED: {self.n_problems} problem(s)")
            lines += [f"  - {p}" for p in self.problems[:50]]
            if self.n_problems > 50:
                lines.append(f"  ... and {self.n_problems - 50} more (all in the report)")
        return "\n".join(lines)


def progress_key(release_id: int) -> str:
    return f"release-progress:{release_id}"


def _context(dataset: Dataset, options: Options) -> Context:
    level = dataset.level
    areas = dict(Area.objects.filter(level=level).values_list("gss_code", "id"))
    conversion: dict[str, list[EditionLink]] = {}
    conversion_level = None
    for link in Lookup.objects.filter(
        parent_level=level, method=Lookup.Method.EDITION_CHANGE
    ).select_related("child_level"):
        if link.parent_code in areas:
            conversion.setdefault(link.child_code, []).append(
                EditionLink(link.parent_code, link.weight, link.change)
            )
            conversion_level = link.child_level.slug
    indicators = {
        i.slug: IndicatorInfo(i.id, i.slug, i.measure, i.is_summable)
        for i in dataset.indicators.all()
    }
    return Context(
        level_slug=level.slug,
        area_ids=areas,
        other_levels={},
        level_of_codes=lambda codes: dict(
            Area.objects.exclude(level=level)
            .filter(gss_code__in=codes)
            .values_list("gss_code", "level__slug")
        ),
        indicators=indicators,
        default_period=options.period,
        skip_unknown_areas=options.skip_unknown_areas,
        conversion_level=conversion_level,
        conversion=conversion,
        conversion_method=options.edition_method,
    )


def _uploader(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


@transaction.atomic
def _rejected(result: Result, release: Release | None, acting_user: Any) -> Result:
    """Mark the release rejected with its report, and its audit event, in one transaction."""
    result.ok = False
    if release is not None:
        release.status = Release.Status.REJECTED
        release.n_problems = result.n_problems
        release.n_warnings = len(result.warnings)
        release.report = result.as_report()
        release.save()
        audit.record(
            action="release.rejected",
            user=acting_user,
            agency_id=release.dataset.owner_id,
            dataset_id=release.dataset_id,
            detail={"release": release.id, "n_problems": result.n_problems},
        )
    return result


def run(
    source: Path,
    dataset: Dataset,
    *,
    options: Options | None = None,
    commit: bool = False,
    acting_user: Any = None,
    file_name: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    size_hint: int = 0,
) -> Result:
    """Check (and with `commit`, publish) one file as a release of `dataset`."""
    options = options or Options()
    started = time.perf_counter()
    label = f"{dataset.slug} from {file_name or source.name}"
    try:
        kept: KeptFile = keep_file(source, name=file_name, size_hint=size_hint)
    except FileRefused as exc:
        # Refused before reading: still a release (when committing) with its report and
        # its audit event, and the file is kept unless it is over the size limit.
        refused = exc.kept
        release = None
        if commit:
            release = Release.objects.create(
                dataset=dataset,
                uploaded_by=_uploader(acting_user),
                file_name=(file_name or source.name)[:255],
                file_sha256=refused.sha256 if refused else "",
                file_size=exc.size,
                stored_path=str(refused.path) if refused else "",
                file_format=refused.file_format if refused else "",
            )
        result = Result(
            ok=False,
            committed=False,
            release=release,
            summary=f"Rejected {label}",
            problems=[Problem(str(exc))],
            n_problems=1,
        )
        result.notes.append(
            f"{exc.size:,} bytes, sha256 {refused.sha256[:16]}…; kept in the file store"
            if refused
            else f"{exc.size:,} bytes; not kept (over the size limit)"
        )
        return _rejected(result, release, acting_user)
    # A file rejected before may be tried again (with other options); one that was
    # published (current or superseded) is recognised and left alone.
    earlier = Release.objects.filter(
        dataset=dataset,
        file_sha256=kept.sha256,
        status__in=[Release.Status.PUBLISHED, Release.Status.SUPERSEDED],
    ).first()
    if earlier is not None:
        return Result(
            ok=True,
            committed=False,
            duplicate_of=earlier,
            summary=f"{kept.name} was already uploaded for {dataset.slug} as release "
            f"{earlier.id} ({earlier.status}, sha256 {kept.sha256[:12]}…): "
            "nothing to do",
        )
    release = None
    if commit:
        release = Release.objects.create(
            dataset=dataset,
            uploaded_by=_uploader(acting_user),
            file_name=kept.name,
            file_sha256=kept.sha256,
            file_size=kept.size,
            stored_path=str(kept.path),
            file_format=kept.file_format,
        )
    # The release's advisory lock says a worker is on it (sweep_interrupted_releases).
    with working_on(release.id if release is not None else None):
        return _check(
            kept,
            dataset,
            release,
            options=options,
            commit=commit,
            acting_user=acting_user,
            label=label,
            started=started,
            on_progress=on_progress,
        )


def _check(
    kept: KeptFile,
    dataset: Dataset,
    release: Release | None,
    *,
    options: Options,
    commit: bool,
    acting_user: Any,
    label: str,
    started: float,
    on_progress: Callable[[int], None] | None,
) -> Result:
    """Steps 2-4 of run()."""
    result = Result(
        ok=True,
        committed=False,
        release=release,
        summary=f"{'Release' if commit else 'Dry run'} of {label}",
    )
    result.notes.append(
        # The report is shown to the steward: the store's location on the server is not.
        f"{kept.file_format}, {kept.size:,} bytes, sha256 {kept.sha256[:16]}…; kept in the "
        "file store"
    )
    context = _context(dataset, options)
    header: list[str] | None = None
    frames: Frames | None = None
    cell_texts: CellTexts | None = None
    if kept.file_format not in GEO_FORMATS:
        try:
            header, frames, cell_texts = read_frames(kept.path, kept.file_format)
        except ParseError as exc:
            result.problems.append(Problem(str(exc)))
            result.n_problems = 1
            return _rejected(result, release, acting_user)
    outcome = Outcome()
    records = Records()
    if is_points(kept.file_format, header):

        def problem(message: str, row: int, column: int | None, value: str) -> None:
            outcome.n_problems += 1
            if len(outcome.problems) < MAX_PROBLEMS:
                name = header[column] if header is not None and column is not None else None
                outcome.problems.append(Problem(message, row=row, column=name, value=value))

        points = read_points(
            kept.path,
            kept.file_format,
            indicator=options.indicator,
            period=options.period,
            columns=options.columns,
            outcome=outcome,
            problem=problem,
        )
        result.notes.append("points: counted per area of the dataset's level")

        def fill() -> None:
            if points is not None:
                counts = list(aggregate(points, context, dataset.level_id, outcome, problem))
                records.add_tuples(counts, [0] * len(counts))

        def finish(values: Summary) -> None:
            """Counts come out of a GROUP BY: no repeats; aggregate() counted them."""

    else:
        assert header is not None  # noqa: S101 (tables always have one)
        columns, problems = map_columns(
            header,
            level_kind=dataset.level.kind,
            indicators={i.slug: i.name for i in dataset.indicators.all()},
            overrides=options.columns,
            indicator_columns=options.indicator_columns,
        )
        if problems:
            result.problems, result.n_problems = problems, len(problems)
            return _rejected(result, release, acting_user)
        if columns.ignored:
            result.notes.append(f"columns not used: {', '.join(columns.ignored)}")
        checker = TableChecker(context, columns, header, records, cell_texts)
        outcome = checker.outcome

        def fill() -> None:
            assert frames is not None  # noqa: S101 (tables always have a reader)
            checker.read(frames, progress)

        finish = checker.finish

    def progress(n: int) -> None:
        if release is not None:
            cache.set(progress_key(release.id), n, 3600)
        if on_progress is not None:
            on_progress(n)

    with transaction.atomic():
        # With commit, values are stored while the file is read (store.ValueStream), into
        # the release's own table: a rejection rolls it back with the rest.
        stream: ValueStream | AbstractContextManager[None] = nullcontext()
        if commit and release is not None:
            table = ReleaseTable(dataset.id, release.id)
            table.create()
            stream = ValueStream(
                table, lambda codes: period_ids({c: outcome.periods[c] for c in codes})
            )
            records.write = stream.write
        with stream:
            try:
                fill()
            except ParseError as exc:  # a row that breaks the table, found while reading
                outcome.problems.append(Problem(str(exc)))
                outcome.n_problems += 1
            values = records.finish(write=not outcome.n_problems)
        finish(values)
        n_values = outcome.n_records
        result.warnings.extend(outcome.warnings)
        result.problems, result.n_problems = outcome.problems, outcome.n_problems
        result.notes.append(
            f"{outcome.n_rows:,} row(s) read, {n_values:,} value(s); periods: "
            + ", ".join(sorted(outcome.periods)[:12])
            + (" …" if len(outcome.periods) > 12 else "")
        )
        if outcome.n_converted:
            method = "best fit" if outcome.conversion_used == "best_fit" else "exact"
            result.notes.append(
                f"{outcome.n_converted:,} value(s) converted from "
                f"{context.conversion_level} to {context.level_slug} ({method})"
            )
        if outcome.n_skipped_unknown:
            result.warnings.append(
                f"{outcome.n_skipped_unknown:,} row(s) for areas outside this "
                "geography were skipped (--skip-unknown-areas)"
            )
        missing = len(context.area_ids) - len(outcome.area_ids_seen)
        if missing > 0 and outcome.area_ids_seen:
            absent = sorted(
                c for c, i in context.area_ids.items() if i not in outcome.area_ids_seen
            )
            result.warnings.append(
                f"{missing:,} {context.level_slug} area(s) have no row in this release: they "
                f"will show as 'no data', never as 0 (e.g. {', '.join(absent[:5])})"
            )
        if result.n_problems or not n_values:
            if not n_values and not result.n_problems:
                result.problems.append(Problem("the file has no rows of values"))
                result.n_problems = 1
            transaction.set_rollback(True)
        elif not commit or release is None:
            transaction.set_rollback(True)
            result.notes.append("Dry run: nothing written. Add --commit to publish.")
        else:
            n_written = records.n_written
            previous = Release.objects.filter(
                dataset=dataset, status=Release.Status.PUBLISHED
            ).first()
            if previous is not None:
                n_big, examples = large_changes(
                    table=table.name,
                    dataset_id=dataset.id,
                    release_id=release.id,
                    previous_id=previous.id,
                    factor=settings.INGEST_CHANGE_FACTOR,
                )
                if n_big:
                    result.warnings.append(
                        f"{n_big:,} value(s) changed by more than "
                        f"{settings.INGEST_CHANGE_FACTOR}× from release {previous.id}: "
                        f"{'; '.join(examples[:5])}"
                    )
            release.n_rows = outcome.n_rows
            release.n_values = n_written
            release.n_warnings = len(result.warnings)
            release.conversion_method = outcome.conversion_used
            release.report = result.as_report()
            table.attach()
            _pause_for_crash_test()
            superseded = publish_release(release, acting_user=acting_user)
            result.committed = True
            result.notes.append(
                f"published as release {release.id}"
                + (f"; release {superseded.id} superseded" if superseded else "")
            )
            release.report = result.as_report()
            release.save(update_fields=["report"])
    if result.n_problems:
        return _rejected(result, release, acting_user)
    result.notes.append(f"{time.perf_counter() - started:.1f} s")
    return result


def _pause_for_crash_test() -> None:
    """Tests kill the process here to show that a half-done publish leaves nothing."""
    seconds = os.environ.get("COMMONGROUND_PAUSE_BEFORE_PUBLISH")
    if seconds:
        print("pausing before publish", file=sys.stderr, flush=True)
        time.sleep(float(seconds))

"""What a load found: problems (which row, which column, which value, why) and notes."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED = 25


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located as precisely as the format allows.

    `row` is the feature number (1-based) for vector files, or the line number (the
    header is line 1) for CSV files.
    """

    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    row_label: str = "row"

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


@dataclass(slots=True)
class Report:
    """The outcome of checking an input: it may be written only when `problems` is empty."""

    title: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, message: str, **where: object) -> None:
        self.problems.append(Problem(message, **where))  # type: ignore[arg-type]

    def render(self) -> str:
        lines = [self.title]
        lines += [f"  {note}" for note in self.notes]
        if self.problems:
            lines.append(f"  REJECTED: {len(self.problems)} problem(s)")
            lines += [f"  - {p}" for p in self.problems[:MAX_LISTED]]
            if len(self.problems) > MAX_LISTED:
                lines.append(f"  ... and {len(self.problems) - MAX_LISTED} more")
        return "\n".join(lines)


class Rejected(Exception):
    """Raised with the report when an input cannot be written."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.render())
        self.report = report

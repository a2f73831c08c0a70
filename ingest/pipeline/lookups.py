"""Check an ONS lookup table and turn it into child -> parent links.

Two shapes, as ONS publishes them:
- a hierarchy (`OA21CD, LSOA21CD, MSOA21CD, LAD24CD`, names in `..NM`): every code
  column links to every coarser one; wards do not nest, so links to or from a ward
  column are best fit;
- an edition change (`LSOA11CD, LSOA21CD, CHGIND`): the older edition links to the
  newer with the change indicator (U unchanged, S split, M merged, X complex) and a
  weight (the file's WEIGHT column, else shared equally among the new codes).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ingest.pipeline.report import Report
from layers.domain.levels import Level, LevelKind, code_fits_level, level_slug_for_column

CHANGE_COLUMNS = ("CHGIND", "CHNGIND", "CHANGE")
WEIGHT_COLUMNS = ("WEIGHT", "WT")
VALID_CHANGES = {"U", "S", "M", "X"}


@dataclass(frozen=True, slots=True)
class LookupLink:
    child_level: str
    child_code: str
    parent_level: str
    parent_code: str
    parent_name: str
    weight: float
    change: str
    method: str


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    upper = [h.upper() for h in header]
    for name in names:
        if name in upper:
            return upper.index(name)
    return None


def check_lookup(
    header: list[str],
    rows: list[list[str]],
    *,
    file_label: str,
    levels: dict[str, Level],
    loaded_codes: dict[str, set[str]],
) -> tuple[Report, list[LookupLink]]:
    """Check a lookup table; `loaded_codes` holds the area codes of levels with boundaries.

    Codes of a level with boundaries must be among them; codes of a level without
    (e.g. districts to be dissolved from this lookup) are checked for form only.
    """
    report = Report(f"Lookup from {file_label}")
    report.notes.append(f"{len(rows)} row(s); columns: {', '.join(header)}")
    code_columns: list[tuple[int, Level]] = []
    name_columns: dict[str, int] = {}
    for index, column in enumerate(header):
        parsed = level_slug_for_column(column)
        if parsed is None:
            continue
        slug, suffix = parsed
        if slug not in levels:
            report.add(
                f"column {column} names level {slug!r}, which is not defined "
                f"(defined: {', '.join(sorted(levels))})",
                column=column,
            )
            continue
        if suffix == "CD":
            code_columns.append((index, levels[slug]))
        else:
            name_columns[slug] = index
    if len(code_columns) < 2:
        report.add("a lookup needs at least two code columns such as LSOA21CD and MSOA21CD")
    if not report.ok:
        return report, []

    change_index = _column(header, CHANGE_COLUMNS)
    weight_index = _column(header, WEIGHT_COLUMNS)
    for level in {lv.slug: lv for _, lv in code_columns}.values():
        if level.slug not in loaded_codes:
            report.notes.append(
                f"{level.slug} has no boundaries loaded: its codes were checked for form only"
            )

    # Per row: check every code, once.
    width = len(header)
    good_rows: list[tuple[int, list[str]]] = []
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            report.add(f"has {len(row)} fields, the header has {width}", row=line, row_label="line")
            continue
        cells = [cell.strip() for cell in row]
        row_ok = True
        for index, level in code_columns:
            code = cells[index]
            column = header[index]
            if not code:
                report.add("missing code", row=line, row_label="line", column=column, value="")
                row_ok = False
            elif not code_fits_level(code, level):
                report.add(
                    f"not a {level.slug} code (expected a GSS code starting "
                    f"{' or '.join(level.gss_prefixes)})",
                    row=line,
                    row_label="line",
                    column=column,
                    value=code,
                )
                row_ok = False
            elif level.slug in loaded_codes and code not in loaded_codes[level.slug]:
                report.add(
                    f"unknown {level.slug} area: no boundary with this code is loaded",
                    row=line,
                    row_label="line",
                    column=column,
                    value=code,
                )
                row_ok = False
        if change_index is not None and cells[change_index].upper() not in VALID_CHANGES:
            report.add(
                "change indicator must be U, S, M or X",
                row=line,
                row_label="line",
                column=header[change_index],
                value=cells[change_index],
            )
            row_ok = False
        if weight_index is not None:
            try:
                weight = float(cells[weight_index])
                if not 0 < weight <= 1:
                    raise ValueError
            except ValueError:
                report.add(
                    "weight must be a number above 0 and at most 1",
                    row=line,
                    row_label="line",
                    column=header[weight_index],
                    value=cells[weight_index],
                )
                row_ok = False
        if row_ok:
            good_rows.append((line, cells))
    if not good_rows and report.ok:
        report.add("the file has no rows")
    if not report.ok:
        return report, []

    if change_index is not None:
        links = _edition_links(
            report, header, good_rows, code_columns, change_index, weight_index, name_columns
        )
    else:
        links = _hierarchy_links(
            report, header, good_rows, code_columns, weight_index, name_columns
        )
    return report, (links if report.ok else [])


def _edition_links(
    report: Report,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    code_columns: list[tuple[int, Level]],
    change_index: int,
    weight_index: int | None,
    name_columns: dict[str, int],
) -> list[LookupLink]:
    if len(code_columns) != 2 or code_columns[0][1].kind != code_columns[1][1].kind:
        report.add(
            "a change lookup (with CHGIND) needs exactly two code columns of one "
            "level kind, e.g. LSOA11CD and LSOA21CD"
        )
        return []
    (old_i, old), (new_i, new) = sorted(code_columns, key=lambda c: c[1].edition)
    seen: dict[tuple[str, str], int] = {}
    n_new: dict[str, set[str]] = defaultdict(set)
    for line, cells in rows:
        pair = (cells[old_i], cells[new_i])
        if pair in seen:
            report.add(
                f"duplicate link (first on line {seen[pair]})",
                row=line,
                row_label="line",
                column=header[old_i],
                value=cells[old_i],
            )
        seen.setdefault(pair, line)
        n_new[cells[old_i]].add(cells[new_i])
    links = []
    for line, cells in rows:
        if seen.get((cells[old_i], cells[new_i])) != line:
            continue
        weight = (
            float(cells[weight_index])
            if weight_index is not None
            else 1.0 / len(n_new[cells[old_i]])
        )
        name_i = name_columns.get(new.slug)
        links.append(
            LookupLink(
                old.slug,
                cells[old_i],
                new.slug,
                cells[new_i],
                cells[name_i] if name_i is not None else "",
                weight,
                cells[change_index].upper(),
                "edition_change",
            )
        )
    report.notes.append(f"{len(links)} {old.slug} -> {new.slug} link(s)")
    return links


def _hierarchy_links(
    report: Report,
    header: list[str],
    rows: list[tuple[int, list[str]]],
    code_columns: list[tuple[int, Level]],
    weight_index: int | None,
    name_columns: dict[str, int],
) -> list[LookupLink]:
    ordered = sorted(code_columns, key=lambda c: c[1].rank)
    pairs = [
        (child, parent)
        for i, child in enumerate(ordered)
        for parent in ordered[i + 1 :]
        if child[1].rank < parent[1].rank
    ]
    if not pairs:
        report.add("the code columns are all of one fineness: nothing links child to parent")
        return []
    links: list[LookupLink] = []
    for (ci, child), (pi, parent) in pairs:
        is_best_fit = LevelKind.WARD in (child.kind, parent.kind)
        first: dict[str, tuple[str, int]] = {}
        for line, cells in rows:
            code, parent_code = cells[ci], cells[pi]
            if code in first:
                if first[code][0] != parent_code:
                    report.add(
                        f"{child.slug} {code} is linked to {parent.slug} "
                        f"{first[code][0]} on line {first[code][1]} and to "
                        f"{parent_code} here: a child has one parent",
                        row=line,
                        row_label="line",
                        column=header[pi],
                        value=parent_code,
                    )
                continue
            first[code] = (parent_code, line)
            name_i = name_columns.get(parent.slug)
            links.append(
                LookupLink(
                    child.slug,
                    code,
                    parent.slug,
                    parent_code,
                    cells[name_i] if name_i is not None else "",
                    float(cells[weight_index]) if weight_index is not None else 1.0,
                    "",
                    "ons_best_fit" if is_best_fit else "exact",
                )
            )
        report.notes.append(
            f"{len(first)} {child.slug} -> {parent.slug} link(s)"
            + (" (best fit)" if is_best_fit else "")
        )
    return links

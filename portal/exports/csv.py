"""CSV of a profile: one row per indicator and period (the latest with its rank,
interval and comparators; earlier ones with their figure). Withheld figures are `[c]`,
missing ones `[x]`, in the value column; comment lines (`#`) carry the marking, the
agreements and the notes, as the values endpoint's CSV does."""

from __future__ import annotations

import csv
import io

from layers.domain.spreadsheet import neutral
from portal.exports.document import ProfileDocument
from portal.exports.formatting import file_value

COLUMNS = [
    "area_code",
    "area_name",
    "area_level",
    "theme",
    "dataset",
    "indicator",
    "indicator_name",
    "measure",
    "unit",
    "period",
    "is_latest",
    "value",
    "status",
    "lower_95",
    "upper_95",
    "rank",
    "rank_of",
    "decile",
    "district_code",
    "district_value",
    "district_comparison",
    "partnership_value",
    "partnership_comparison",
    "agreement",
    "simulated",
]


def render_csv(doc: ProfileDocument) -> str:
    area = doc.profile.area
    out = io.StringIO()

    def comment(text: str) -> None:
        # One line each, whatever a name holds: a line break would start a data row.
        out.write("# " + " ".join(text.split()) + "\n")

    comment(doc.provenance.marking)
    comment(
        f"Profile of {area.name} ({area.code}, {area.level}); made "
        f"{doc.made_at:%d %B %Y %H:%M} by {doc.made_by} for {doc.provenance.agency}"
    )
    comment(doc.agreements_text)
    for note in doc.notes:
        comment(note)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in doc.rows:
        item = row.item
        indicator = item.indicator
        common = [
            area.code,
            neutral(area.name),
            area.level,
            indicator.dataset.theme,
            indicator.dataset.slug,
            indicator.slug,
            neutral(indicator.name),
            indicator.measure,
            neutral(indicator.unit),
        ]
        for period, figure in item.trend:
            latest = period.id == item.period.id
            values = [period.code, "yes" if latest else "no", file_value(figure), figure.status]
            if latest:
                values += [
                    item.interval.low if item.interval else "",
                    item.interval.high if item.interval else "",
                    item.ranking.rank if item.ranking else "",
                    item.ranking.of if item.ranking else "",
                    item.ranking.decile if item.ranking else "",
                    item.district.area_code if item.district else "",
                    file_value(item.district.value) if item.district else "",
                    item.district.significance.value if item.district else "",
                    file_value(item.partnership.value) if item.partnership else "",
                    item.partnership.significance.value if item.partnership else "",
                ]
            else:
                values += [""] * 10
            writer.writerow([*common, *values, row.agreement, "yes" if row.simulated else "no"])
    return out.getvalue()

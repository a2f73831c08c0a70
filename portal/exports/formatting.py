"""Shared wording and number formats for the profile page and every export."""

from __future__ import annotations

from typing import Any

from layers.domain.comparison import Significance
from layers.profile import Figure

NO_DATA_TEXT = "no data"

THEMES = {
    "crime": "Crime and community safety",
    "health": "Health",
    "education": "Education",
    "deprivation": "Deprivation",
    "other": "Population and other",
}
THEME_ORDER = list(THEMES)

SIGNIFICANCE_TEXT = {
    Significance.BETTER.value: "better",
    Significance.SIMILAR.value: "similar",
    Significance.WORSE.value: "worse",
    Significance.HIGHER.value: "higher",
    Significance.LOWER.value: "lower",
    Significance.NOT_COMPARED.value: "not compared",
}

REFUSAL_TEXT = {
    "use_not_permitted": "the agreement does not allow this use (exports need `export`)",
    "no_agreement": "no sharing agreement covers it for your agency",
    "role_not_permitted": "the agreement does not include your role",
    "purpose_not_permitted": "the agreement does not cover this session's purpose",
    "purpose_not_stated": "no purpose was stated for this session",
    "level_too_fine": "the agreement does not allow figures at this level",
    "agreement_suspended": "the agreement is suspended",
    "agreement_expired": "the agreement has expired",
    "agreement_draft": "the agreement is still a draft",
    "agreement_not_started": "the agreement has not started yet",
}

NOTES = {
    "withheld": "[c] Withheld to protect confidentiality: the agreement's disclosure policy "
    "does not allow this figure to be released (a small number, or one from which a small "
    "number could be worked out). A withheld figure is never ranked, averaged or charted.",
    "no_data": "No data ([x] in files): the data holder supplied no figure for this area and "
    "period. Missing is not zero.",
    "rounding": "Figures are rounded independently of each other, so totals may not equal the "
    "sum of their parts.",
    "rank": "Rank 1 is the highest figure among the areas of this level whose figures are shown; "
    "decile 1 is the tenth of those areas with the highest figures.",
    "comparators": "District and partnership figures for counts are the released total shared "
    "evenly over the areas it covers (for a custom area, per LSOA times its LSOAs); for scores "
    "and ranks, the median of the shown area figures; for rates, the rate of the summed parts.",
    "intervals": "Intervals are 95% confidence intervals: Wilson score for percentages, exact "
    "Poisson (under 10 events) or Byar's method for rates. Better / similar / worse: the "
    "comparator's figure lies outside or inside the area's interval, judged by whether a "
    "higher figure is better for the indicator. Counts, scores and ranks are not tested.",
    "custom": "A custom area's figures are sums of the published figures of its LSOAs; if any "
    "of them is withheld, the custom area's figure is withheld too.",
}


def number(value: float | None, *, decimals: int | None = None) -> str:
    """A figure for people: thousands separated; whole numbers without decimals."""
    if value is None:
        return ""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    return f"{value:,.{decimals}f}"


def decimals_for(measure: str) -> int | None:
    return 1 if measure in ("rate", "percentage") else None


def figure_text(figure: Figure | None, measure: str = "count") -> str:
    """`[c]` for a withheld figure, `no data` for none, else the number (with `%`)."""
    if figure is None or figure.status == "no_data":
        return NO_DATA_TEXT
    if figure.status == "withheld" or figure.value is None:
        return figure.marker or "[c]"
    text = number(figure.value, decimals=decimals_for(measure))
    return f"{text}%" if measure == "percentage" else text


def file_value(figure: Figure | None) -> Any:
    """A figure for a file cell: the number itself, or its marker ([c], [x])."""
    if figure is None:
        return "[x]"
    if figure.is_shown:
        value = figure.value
        return int(value) if value is not None and float(value).is_integer() else value
    return figure.marker or ("[x]" if figure.status == "no_data" else "[c]")

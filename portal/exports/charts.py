"""SVG drawn on the server for the profile page and its exports: a trend sparkline, a
spine chart and the locator map. Plain SVG text with presentation attributes only (no
style attributes, no script), so it passes the Content Security Policy on the page,
WeasyPrint draws it in the PDF, and it needs nothing from the internet.

Only released figures reach these functions (a withheld figure is a gap, never a
point), and the locator map draws public boundaries only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from layers.locator import Locator, Shape

SIGNIFICANCE_COLOURS = {
    "better": "#1b7a3e",
    "similar": "#f2b705",
    "worse": "#c0262d",
    "higher": "#6a3d9a",
    "lower": "#1f78b4",
    "not_compared": "#ffffff",
}
INK = "#1f2933"
MUTED = "#6b7785"


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


# Trend sparkline -----------------------------------------------------------------------


def sparkline_svg(
    points: Sequence[tuple[str, float | None]], *, width: int = 120, height: int = 28
) -> str:
    """A small line of the figures over periods, oldest first; a withheld or missing
    period breaks the line. The title says what it shows, for screen readers."""
    shown = [v for _, v in points if v is not None]
    if len(points) < 2 or len(shown) < 2:
        return ""
    low, high = min(shown), max(shown)
    span = (high - low) or 1.0
    pad = 3.0
    step = (width - 2 * pad) / (len(points) - 1)

    def y(v: float) -> float:
        return height - pad - (v - low) / span * (height - 2 * pad)

    segments: list[list[tuple[float, float]]] = [[]]
    for i, (_, value) in enumerate(points):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append((pad + i * step, y(value)))
    paths = []
    for segment in segments:
        if len(segment) >= 2:
            d = "M" + " L".join(f"{_f(x)},{_f(yy)}" for x, yy in segment)
            paths.append(f'<path d="{d}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>')
        elif len(segment) == 1:
            x, yy = segment[0]
            paths.append(f'<circle cx="{_f(x)}" cy="{_f(yy)}" r="1.5" fill="#1f5fa8"/>')
    last_i = len(points) - 1
    if points[-1][1] is not None:
        paths.append(
            f'<circle cx="{_f(pad + last_i * step)}" cy="{_f(y(points[-1][1]))}" r="2.5" '
            'fill="#1f5fa8"/>'
        )
    gaps = sum(1 for _, v in points if v is None)
    title = (
        f"Trend over {len(points)} periods, {points[0][0]} to {points[-1][0]}"
        + (f"; {gaps} without a figure shown" if gaps else "")
        + f"; lowest {_f(low)}, highest {_f(high)}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{escape(title)}</title>{''.join(paths)}</svg>"
    )


# Spine chart ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpineRow:
    """One indicator on the spine chart. `value` is None when the area's figure is not
    shown; `higher_is_better` None for an indicator with no polarity."""

    label: str
    value: float | None
    value_text: str
    low: float
    q1: float
    median: float
    q3: float
    high: float
    higher_is_better: bool | None
    significance: str


def spine_bar_svg(row: SpineRow, *, width: int = 320, height: int = 18) -> str:
    """One indicator's bar on the spine chart: the range of all areas' shown figures
    (lowest to highest), the middle half darker, the median a line, and the area's
    figure as a dot coloured by its comparison with the partnership. Better is always to
    the right (a row is turned round when a lower figure is better), as in Public Health
    England's spine charts; rows with no polarity run lowest to highest. No text inside:
    labels are the table's, which is what screen readers and the PDF renderer read."""
    pad = 7.0
    x0, x1 = pad, width - pad
    cy = height / 2
    flip = row.higher_is_better is False
    span = (row.high - row.low) or 1.0

    def x(v: float) -> float:
        share = (v - row.low) / span
        share = 1 - share if flip else share
        return x0 + max(0.0, min(1.0, share)) * (x1 - x0)

    left, right = sorted((x(row.low), x(row.high)))
    qa, qb = sorted((x(row.q1), x(row.q3)))
    parts = [
        f'<rect x="{_f(left)}" y="{_f(cy - 5)}" width="{_f(max(right - left, 1))}" height="10" '
        'fill="#d5dde5"/>',
        f'<rect x="{_f(qa)}" y="{_f(cy - 5)}" width="{_f(max(qb - qa, 1))}" height="10" '
        'fill="#8fa3b8"/>',
        f'<line x1="{_f(x(row.median))}" x2="{_f(x(row.median))}" y1="{_f(cy - 8)}" '
        f'y2="{_f(cy + 8)}" stroke="{INK}" stroke-width="1.5"/>',
    ]
    if row.value is not None:
        colour = SIGNIFICANCE_COLOURS.get(row.significance, "#ffffff")
        parts.append(
            f'<circle cx="{_f(x(row.value))}" cy="{_f(cy)}" r="5" fill="{colour}" '
            f'stroke="{INK}" stroke-width="1"/>'
        )
    where = "not shown" if row.value is None else f"{row.value_text}"
    title = (
        f"{row.label}: this area {where}; areas range from {_f(row.low)} to {_f(row.high)}, "
        f"median {_f(row.median)}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spine-bar" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">'
        f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>"
    )


def legend_swatch_svg(kind: str) -> str:
    """A small key for the spine chart legend (a bar part, the median, or a dot)."""
    if kind in ("range", "middle"):
        colour = "#d5dde5" if kind == "range" else "#8fa3b8"
        shape = f'<rect x="1" y="3" width="16" height="10" fill="{colour}"/>'
    elif kind == "median":
        shape = f'<line x1="9" x2="9" y1="1" y2="15" stroke="{INK}" stroke-width="1.5"/>'
    else:
        colour = SIGNIFICANCE_COLOURS.get(kind, "#ffffff")
        shape = f'<circle cx="9" cy="8" r="5" fill="{colour}" stroke="{INK}" stroke-width="1"/>'
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" class="swatch-svg" width="18" height="16" '
        f'viewBox="0 0 18 16" aria-hidden="true">{shape}</svg>'
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# Locator map ---------------------------------------------------------------------------

Ring = list[tuple[float, float]]


def _polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    if geometry.get("type") == "Polygon":
        return [[[(p[0], p[1]) for p in ring] for ring in geometry["coordinates"]]]
    if geometry.get("type") == "MultiPolygon":
        return [
            [[(p[0], p[1]) for p in ring] for ring in polygon]
            for polygon in geometry["coordinates"]
        ]
    return []


def _bbox(shapes: Iterable[Shape]) -> tuple[float, float, float, float] | None:
    xs: list[float] = []
    ys: list[float] = []
    for shape in shapes:
        for polygon in _polygons(shape.geometry):
            for ring in polygon:
                xs.extend(p[0] for p in ring)
                ys.extend(p[1] for p in ring)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True, slots=True)
class _Frame:
    minx: float
    miny: float
    scale: float
    width: float
    height: float
    ox: float = 0.0
    oy: float = 0.0

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (
            self.ox + (x - self.minx) * self.scale,
            self.oy + self.height - (y - self.miny) * self.scale,
        )

    def path(self, shape: Shape, *, clip: bool = False) -> str:
        """SVG path data of a shape in this frame. Corners closer than a pixel to the
        last one kept are dropped (they cannot be seen, and each costs the PDF renderer
        time). With `clip` (an outline drawn without fill), only the runs of the outline
        near the frame are drawn, as open lines."""
        out = []
        margin = 20.0
        for polygon in _polygons(shape.geometry):
            for ring in polygon:
                pts = _thin([self.point(x, y) for x, y in ring])
                if len(pts) < 3:
                    continue
                if not clip:
                    out.append("M" + " L".join(f"{_f(px)},{_f(py)}" for px, py in pts) + "Z")
                    continue
                inside = [
                    -margin <= px - self.ox <= self.width + margin
                    and -margin <= py - self.oy <= self.height + margin
                    for px, py in pts
                ]
                run: list[tuple[float, float]] = []
                for i, (pt, keep) in enumerate(zip(pts, inside, strict=True)):
                    near = keep or (i > 0 and inside[i - 1]) or (i + 1 < len(pts) and inside[i + 1])
                    if near:
                        run.append(pt)
                    elif run:
                        out.append(_line(run))
                        run = []
                if run:
                    out.append(_line(run))
        return "".join(p for p in out if p)

    def shows(self, shape: Shape) -> bool:
        box = _bbox([shape])
        if box is None:
            return False
        x_a, y_a = self.point(box[0], box[3])
        x_b, y_b = self.point(box[2], box[1])
        return not (
            x_b < self.ox
            or x_a > self.ox + self.width
            or y_b < self.oy
            or y_a > self.oy + self.height
        )


def _thin(points: list[tuple[float, float]], *, within: float = 0.8) -> list[tuple[float, float]]:
    kept = [points[0]] if points else []
    for x, y in points[1:-1]:
        lx, ly = kept[-1]
        if abs(x - lx) >= within or abs(y - ly) >= within:
            kept.append((x, y))
    if len(points) > 1:
        kept.append(points[-1])
    return kept


def _line(points: list[tuple[float, float]]) -> str:
    if len(points) < 2:
        return ""
    return "M" + " L".join(f"{_f(px)},{_f(py)}" for px, py in points)


def _fit(
    box: tuple[float, float, float, float], width: float, height: float, **off: float
) -> _Frame:
    minx, miny, maxx, maxy = box
    scale = min(width / max(maxx - minx, 1.0), height / max(maxy - miny, 1.0))
    # Centre the box in the frame.
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return _Frame(cx - width / 2 / scale, cy - height / 2 / scale, scale, width, height, **off)


def _scale_bar(frame: _Frame) -> str:
    metres = frame.width * 0.25 / frame.scale
    nice = 10 ** math.floor(math.log10(metres))
    for step in (5, 2, 1):
        if step * nice <= metres:
            nice *= step
            break
    length = nice * frame.scale
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    x, y = frame.ox + 12, frame.oy + frame.height - 14
    return (
        f'<rect x="{_f(x - 4)}" y="{_f(y - 14)}" width="{_f(length + 8)}" height="22" '
        'fill="#ffffff" fill-opacity="0.8"/>'
        f'<line x1="{_f(x)}" x2="{_f(x + length)}" y1="{_f(y)}" y2="{_f(y)}" stroke="{INK}" '
        'stroke-width="2"/>'
        f'<text x="{_f(x)}" y="{_f(y - 4)}" font-size="10" fill="{INK}">{label}</text>'
    )


def locator_svg(locator: Locator, *, width: int = 520, height: int = 340) -> str:
    """The area filled on its neighbours of the same level (a custom area: its LSOAs),
    the district outline dashed, a scale bar, and an inset of the whole district with
    the area marked. Coordinates must be British National Grid metres (srid 27700)."""
    if locator.focus is None or locator.srid != 27700:
        return ""
    focus_box = _bbox([locator.focus])
    if focus_box is None:
        return ""
    minx, miny, maxx, maxy = focus_box
    # Frame the area with its surroundings: at least 1.5 km across, the area about half.
    size = max(maxx - minx, maxy - miny, 750.0) * 1.9
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    frame = _fit((cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2), width, height)
    parts = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#eef1f4"/>']
    for shape in locator.context:
        if frame.shows(shape):
            parts.append(
                f'<path d="{frame.path(shape)}" fill="#ffffff" stroke="#b8c2cc" '
                'stroke-width="0.8" fill-rule="evenodd"/>'
            )
    for shape in locator.members:
        parts.append(
            f'<path d="{frame.path(shape)}" fill="#cfe0f3" stroke="#7fa7d3" stroke-width="0.6" '
            'fill-rule="evenodd"/>'
        )
    if locator.district is not None:
        parts.append(
            f'<path d="{frame.path(locator.district, clip=True)}" fill="none" stroke="#4a5560" '
            'stroke-width="1.6" stroke-dasharray="6 3" fill-rule="evenodd"/>'
        )
    parts.append(
        f'<path d="{frame.path(locator.focus)}" fill="#1f5fa8" fill-opacity="0.35" '
        'stroke="#0b3d78" stroke-width="2.2" fill-rule="evenodd"/>'
    )
    parts.append(_scale_bar(frame))
    parts.append(
        f'<g><text x="{width - 18}" y="26" font-size="12" font-weight="bold" fill="{INK}" '
        f'text-anchor="middle">N</text><path d="M{width - 18},30 l-5,12 l5,-3 l5,3 Z" '
        f'fill="{INK}"/></g>'
    )
    inset = _inset(locator, frame, width, height)
    title = f"Locator map of {locator.focus.name}" + (
        f" in {locator.district.name}" if locator.district is not None else ""
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="locator" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'font-family="DejaVu Sans, Arial, sans-serif"><title>{escape(title)}</title>'
        f'<svg x="0" y="0" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        + "".join(parts)
        + "</svg>"
        + inset
        + f'<text x="{width - 6}" y="{height - 6}" font-size="8" fill="{MUTED}" '
        'text-anchor="end">Contains OS data © Crown copyright and database right</text>' + "</svg>"
    )


def _inset(locator: Locator, frame: _Frame, width: int, height: int) -> str:
    """The whole district in a corner, the area marked: where the main frame sits."""
    outline = locator.district
    if outline is None:
        return ""
    box = _bbox([outline])
    if box is None:
        return ""
    w, h = 120.0, 100.0
    ox, oy = 8.0, 8.0
    inset = _fit(box, w - 8, h - 8, ox=ox + 4, oy=oy + 4)
    if locator.focus is None:
        return ""
    fx, fy = frame.minx, frame.miny
    corner_a = inset.point(fx, fy + frame.height / frame.scale)
    corner_b = inset.point(fx + frame.width / frame.scale, fy)
    return (
        f'<rect x="{_f(ox)}" y="{_f(oy)}" width="{w}" height="{h}" fill="#ffffff" '
        f'stroke="#8a96a3" stroke-width="0.8"/>'
        f'<path d="{inset.path(outline)}" fill="#eef1f4" stroke="#4a5560" stroke-width="0.8" '
        'fill-rule="evenodd"/>'
        f'<path d="{inset.path(locator.focus)}" fill="#0b3d78" stroke="#0b3d78" '
        'stroke-width="0.8" fill-rule="evenodd"/>'
        f'<rect x="{_f(corner_a[0])}" y="{_f(corner_a[1])}" '
        f'width="{_f(max(corner_b[0] - corner_a[0], 2))}" '
        f'height="{_f(max(corner_b[1] - corner_a[1], 2))}" fill="none" stroke="#c0262d" '
        'stroke-width="1"/>'
        f'<text x="{_f(ox + 4)}" y="{_f(oy + h + 12)}" font-size="9" fill="{MUTED}">'
        f"{escape(_clip(outline.name, 24))}</text>"
    )

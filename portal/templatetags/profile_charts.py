"""`{% chart svg %}`: a chart drawn on the server, inline in a web page; in a PDF (when the
context holds `charts`, a dict), an <img> the PDF renderer takes from that dict. WeasyPrint
parses inline SVG with the HTML parser and runs it through the CSS cascade, which costs
more than reading the same SVG as an image."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

CHART_SCHEME = "chart:"


@register.simple_tag(takes_context=True)
def chart(context: Any, svg: str, css_class: str = "") -> SafeString:
    if not svg:
        return mark_safe("")
    store = context.get("charts")
    if store is None:
        return mark_safe(svg)  # noqa: S308 (our own SVG, drawn with escaped text)
    key = f"{CHART_SCHEME}{len(store)}"
    store[key] = svg.encode("utf-8")
    return format_html('<img class="{}" src="{}" alt="">', css_class, key)

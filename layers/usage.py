"""What an agreement was used for, and how often: the evidence an annual agreement review
and a partnership board ask for. Counted from the audit trail (every read under the
agreement is one event there), plus the recorded products that cite reads made under it.

A read of an area profile may be granted by several agreements at once; it counts once
under each, with the values returned and withheld by the whole read (the audit event does
not split them by agreement).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from layers import priorities, scanning
from layers.models import Agreement, AuditEvent, Product, ProductSource
from layers.products import READ_ACTIONS

# Every kind of read that releases figures under an agreement: values and area profiles
# (which products may cite), and scans for areas of concern and the priorities dashboard
# (its page and its exports).
USAGE_ACTIONS = (*READ_ACTIONS, scanning.ACTION, priorities.ACTION)


@dataclass(frozen=True, slots=True)
class Tally:
    """Reads, and the values they returned and withheld."""

    label: str
    reads: int
    returned: int
    withheld: int
    extra: str = ""  # a second label where the row has one (the level)


@dataclass(slots=True)
class UsageReport:
    agreement: Agreement
    start: date
    end: date
    total: Tally
    by_use: list[Tally] = field(default_factory=list)
    by_agency: list[Tally] = field(default_factory=list)
    by_purpose: list[Tally] = field(default_factory=list)
    by_month: list[Tally] = field(default_factory=list)
    by_dataset: list[Tally] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    # products by other recipients, counted but not listed (see usage_report)
    n_products_not_listed: int = 0


def default_period(agreement: Agreement, *, today: date | None = None) -> tuple[date, date]:
    """The last 12 months, or since the agreement started if that is later."""
    today = today or timezone.localdate()
    start = max(today - timedelta(days=365), agreement.current.starts_on)
    return (min(start, today), today)


def reads_under(reference: str, *, start: date, end: date) -> QuerySet[AuditEvent]:
    """Every granted read made under the agreement between `start` and `end` (inclusive,
    local dates): a values read names it in its agreement column; a profile, scan or
    priorities read in its detail (all the agreements that granted part of it)."""
    return AuditEvent.objects.filter(
        Q(agreement_ref=reference) | Q(detail__agreements__contains=[reference]),
        action__in=USAGE_ACTIONS,
        at__date__gte=start,
        at__date__lte=end,
    )


def _tallies(events: QuerySet[AuditEvent], *keys: str) -> list[dict[str, Any]]:
    return list(
        events.values(*keys)
        .annotate(reads=Count("id"), returned=Sum("n_returned"), withheld=Sum("n_withheld"))
        .order_by(*keys)
    )


def _tally(label: str, row: dict[str, Any], extra: str = "") -> Tally:
    return Tally(
        label=label,
        reads=row["reads"],
        returned=row["returned"] or 0,
        withheld=row["withheld"] or 0,
        extra=extra,
    )


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def products_under(reference: str, *, start: date, end: date) -> list[Product]:
    """Products made between `start` and `end` that cite a read made under the agreement,
    newest first."""
    cited = ProductSource.objects.filter(agreements__contains=[reference]).values("product_id")
    return list(
        Product.objects.filter(id__in=cited, made_on__gte=start, made_on__lte=end)
        .select_related("agency", "author")
        .annotate(n_sources=Count("sources", filter=Q(sources__agreements__contains=[reference])))
        .order_by("-made_on", "-id")
    )


def _dataset_label(action: str, title: str | None) -> str:
    kinds = {
        "profile.read": "area profiles",
        scanning.ACTION: "scans for areas of concern",
        priorities.ACTION: "priorities dashboard",
    }
    if action in kinds:
        return f"{title} ({kinds[action]})" if title else f"{kinds[action]} (several datasets)"
    return title or "(unknown dataset)"


def usage_report(
    agreement: Agreement,
    *,
    start: date,
    end: date,
    products_of: Collection[int] | None = None,
) -> UsageReport:
    """The agreement's use between `start` and `end` (see the module docstring).

    `products_of`: list only the products of these agencies and count the others (for a
    recipient's information manager: the provider sees every product made with its
    data, but one recipient's work is not another's to read); None lists them all."""
    events = reads_under(agreement.reference, start=start, end=end)
    totals = events.aggregate(
        reads=Count("id"), returned=Sum("n_returned"), withheld=Sum("n_withheld")
    )
    report = UsageReport(
        agreement=agreement, start=start, end=end, total=_tally("all reads", totals)
    )
    report.by_use = [_tally(r["use"] or "(none)", r) for r in _tallies(events, "use")]
    report.by_agency = sorted(
        (_tally(r["agency__name"] or "(no agency)", r) for r in _tallies(events, "agency__name")),
        key=lambda t: (-t.reads, t.label),
    )
    report.by_purpose = [_tally(r["purpose"] or "(none)", r) for r in _tallies(events, "purpose")]
    monthly = {
        r["month"].date() if hasattr(r["month"], "date") else r["month"]: r
        for r in _tallies(events.annotate(month=TruncMonth("at")), "month")
    }
    empty = {"reads": 0, "returned": 0, "withheld": 0}
    report.by_month = [_tally(f"{m:%Y-%m}", monthly.get(m, empty)) for m in _months(start, end)]
    report.by_dataset = [
        _tally(_dataset_label(r["action"], r["dataset__title"]), r, extra=r["level"])
        for r in _tallies(events, "dataset__title", "level", "action")
    ]
    products = products_under(agreement.reference, start=start, end=end)
    if products_of is not None:
        listed = [p for p in products if p.agency_id in products_of]
        report.n_products_not_listed = len(products) - len(listed)
        products = listed
    report.products = products
    return report

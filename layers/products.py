"""Evidence of impact: verbs over products (record, edit, record the outcome), each in one
transaction with its audit event, and the reads a product may cite.

A product cites only its author's own audited reads (`recent_reads`): what the portal
let that person see, under the agreements it was read under. Nobody can attach another
user's reads, so a product never claims figures its author was not given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from layers import audit
from layers.domain.products import ReadGroup, ReadRecord, group_reads
from layers.models import Agency, AuditEvent, Dataset, Membership, Product, ProductSource

# The audited reads that hand figures to a person: one indicator at one level (the map,
# the API, map exports), and an area profile (the profile page, its exports, the map's
# side panel). Refusals (`access.refused`) gave nothing to cite.
READ_ACTIONS = ("values.read", "profile.read")
RECENT_DAYS = 90
PRODUCT_ROLES = (
    Membership.Role.ANALYST,
    Membership.Role.NEIGHBOURHOOD_MANAGER,
    Membership.Role.INFORMATION_MANAGER,
)
FIELDS = ("title", "kind", "made_on", "summary", "served", "served_on")


def product_agencies(user: User) -> list[Agency]:
    """The agencies whose products `user` may see and record (analyst, neighbourhood
    manager or information manager there)."""
    if not user.is_authenticated:
        return []
    return list(
        Agency.objects.filter(
            memberships__user=user, memberships__role__in=PRODUCT_ROLES
        ).distinct()
    )


def may_record_products(user: User) -> bool:
    return bool(product_agencies(user))


def visible_products(user: User) -> QuerySet[Product]:
    """The products of the agencies `user` works for in a product role."""
    return Product.objects.filter(agency__in=[a.id for a in product_agencies(user)])


def product_for(user: User, public_id: str) -> Product | None:
    """One product, if `user` may see it; None otherwise (the page answers 404)."""
    return (
        visible_products(user)
        .filter(public_id=public_id)
        .select_related("agency", "author", "outcome_by")
        .first()
    )


def _tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),) if value not in (None, "") else ()


def read_record(event: AuditEvent) -> ReadRecord:
    """An audit event of a read as plain data: a values read names one indicator and
    period (and the map's `within`); a profile read its area, indicators, periods and
    every agreement that granted part of it."""
    detail = event.detail or {}
    if event.action == "profile.read":
        indicators = _tuple(detail.get("indicators"))
        periods = _tuple(detail.get("periods"))
        area = str(detail.get("area", ""))
        agreements = _tuple(detail.get("agreements"))
    else:
        indicators = _tuple(detail.get("indicator"))
        periods = _tuple(detail.get("period"))
        area = str(detail.get("within", ""))
        agreements = _tuple(event.agreement_ref)
    return ReadRecord(
        event_id=event.id,
        at=event.at,
        action=event.action,
        dataset=event.dataset.slug if event.dataset_id and event.dataset else "",
        indicators=indicators,
        level=event.level,
        periods=periods,
        area=area,
        use=event.use,
        agreements=tuple(sorted(agreements)),
    )


def own_reads(user: User) -> QuerySet[AuditEvent]:
    """Every audited read `user` made. Never anyone else's."""
    return AuditEvent.objects.filter(user_id=user.pk, action__in=READ_ACTIONS)


def recent_reads(
    user: User, *, days: int = RECENT_DAYS, now: Any = None, exclude: Iterable[int] = ()
) -> list[ReadGroup]:
    """The user's own reads of the last `days` days, grouped (layers.domain.products),
    most recent first; `exclude` leaves out reads by id (a product's existing sources,
    which its edit page shows as rows of their own)."""
    since = (now or timezone.now()) - timedelta(days=days)
    events = own_reads(user).filter(at__gte=since).exclude(id__in=list(exclude))
    return group_reads(read_record(e) for e in events.select_related("dataset").order_by("at"))


def _sources(product: Product, groups: Iterable[ReadGroup]) -> list[ProductSource]:
    groups = list(groups)
    datasets = {
        d.slug: d for d in Dataset.objects.filter(slug__in={g.latest.dataset for g in groups})
    }
    return [_source(product, g, datasets.get(g.latest.dataset)) for g in groups]


def _source(product: Product, group: ReadGroup, dataset: Dataset | None) -> ProductSource:
    read = group.latest
    return ProductSource(
        product=product,
        event_id=read.event_id,
        read_at=read.at,
        action=read.action,
        dataset=dataset,
        indicators=list(read.indicators),
        level=read.level,
        periods=list(read.periods),
        area=read.area,
        uses=sorted(group.uses),
        agreements=list(read.agreements),
        n_reads=group.n_reads,
    )


def _agreements_of(groups: Iterable[ReadGroup]) -> list[str]:
    return sorted({ref for g in groups for ref in g.latest.agreements})


def _event(action: str, product: Product, user: User, detail: dict[str, Any]) -> None:
    # The agreements go in the detail (not the agreement column): an information manager
    # finds the product in the audit trail under each agreement, and the agreement's
    # usage counts stay counts of reads.
    audit.record(
        action=action,
        user=user,
        agency_id=product.agency_id,
        detail={"product": product.public_id, "title": product.title, **detail},
    )


@transaction.atomic
def record_product(
    *,
    user: User,
    agency: Agency,
    fields: dict[str, Any],
    groups: Sequence[ReadGroup],
    is_demo: bool = False,
) -> Product:
    """Record a product made for `agency` from `groups` of the author's own reads
    (`is_demo`: a SIMULATED demo product, labelled so wherever it is shown)."""
    product = Product.objects.create(
        agency=agency,
        author=user,
        is_demo=is_demo,
        **{k: fields[k] for k in FIELDS if k in fields},
    )
    ProductSource.objects.bulk_create(_sources(product, groups))
    _event(
        "product.created",
        product,
        user,
        {
            "kind": product.kind,
            **({"demo": True} if is_demo else {}),
            "sources": sorted(g.event_id for g in groups),
            "agreements": _agreements_of(groups),
        },
    )
    return product


@transaction.atomic
def edit_product(
    product: Product, *, user: User, fields: dict[str, Any], groups: Sequence[ReadGroup]
) -> bool:
    """Change a product's description and sources; False (and no event) when nothing
    changed. Sources are matched by their read: one kept stays as it was."""
    values = {k: fields[k] for k in FIELDS if k in fields}
    changed: dict[str, Any] = audit.changed_fields(product, values)
    before = set(product.sources.values_list("event_id", flat=True))
    after = {g.event_id for g in groups}
    if not changed and before == after:
        return False
    for name, value in values.items():
        setattr(product, name, value)
    product.save()
    product.sources.exclude(event_id__in=after).delete()
    ProductSource.objects.bulk_create(
        _sources(product, (g for g in groups if g.event_id not in before))
    )
    if before != after:
        changed["sources"] = [sorted(before), sorted(after)]
    _event(
        "product.changed",
        product,
        user,
        {"changed": changed, "agreements": _agreements_of(groups)},
    )
    return True


@transaction.atomic
def record_outcome(product: Product, *, user: User, outcome: str, outcome_on: date) -> Product:
    """Record (or correct) what came of a product; the previous note stays in the audit
    trail."""
    previous = {"outcome": product.outcome, "outcome_on": audit.plain(product.outcome_on)}
    product.outcome = outcome
    product.outcome_on = outcome_on
    product.outcome_by = user
    product.save(update_fields=["outcome", "outcome_on", "outcome_by", "updated_at"])
    _event(
        "product.outcome_recorded",
        product,
        user,
        {
            "outcome": outcome,
            "outcome_on": outcome_on.isoformat(),
            **({"previous": previous} if previous["outcome"] else {}),
            "agreements": sorted(
                {
                    ref
                    for refs in product.sources.values_list("agreements", flat=True)
                    for ref in refs
                }
            ),
        },
    )
    return product

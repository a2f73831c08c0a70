"""Evidence of impact: the products an agency's analysts made from the portal's figures
(list, record, change, record the outcome). The verbs are in layers.products (each
audited); another agency's product is a 404 here. The per-agreement usage report that
lists them is with the agreement pages (portal.pages.agreements.agreement_usage)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from layers.domain.products import ReadGroup
from layers.models import Agency, Product
from layers.products import (
    RECENT_DAYS,
    edit_product,
    product_agencies,
    product_for,
    read_record,
    recent_reads,
    record_outcome,
    record_product,
    visible_products,
)

SORTS = {
    "title": "title",
    "kind": "kind",
    "made": "made_on",
    "served": "served_on",
    "outcome": "outcome_on",
    "author": "author__username",
}


class ProductForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Product.Kind.choices)
    made_on = forms.DateField(
        label="Date",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="of the product",
    )
    summary = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="what it said or asked for, in a sentence or two",
    )
    served = forms.CharField(
        required=False,
        max_length=300,
        label="Meeting or decision it served",
        help_text="e.g. the fortnightly tasking meeting; the partnership board",
    )
    served_on = forms.DateField(
        required=False,
        label="Date of the meeting or decision",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sources = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Figures used",
        help_text=f"your own reads of the last {RECENT_DAYS} days",
    )

    def __init__(
        self, *args: Any, agencies: list[Agency], groups: list[ReadGroup], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Any read of a group stands for it: a form posted after another read of the same
        # figures (the map open in another tab) still finds its group.
        self.groups = {str(i): g for g in groups for i in g.event_ids or [g.event_id]}
        self.fields["sources"].choices = [(k, k) for k in self.groups]
        if len(agencies) > 1:
            self.fields["agency"] = forms.ChoiceField(
                choices=[(a.slug, a.name) for a in agencies], label="Made for"
            )

    def chosen_groups(self) -> list[ReadGroup]:
        chosen: dict[int, ReadGroup] = {}
        for key in self.cleaned_data.get("sources", []):
            group = self.groups[key]
            chosen[group.event_id] = group
        return list(chosen.values())

    def fields_data(self) -> dict[str, Any]:
        return {
            k: self.cleaned_data[k]
            for k in ("title", "kind", "made_on", "summary", "served", "served_on")
        }


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="what changed because of it: a decision, a deployment, money, a result",
    )
    outcome_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _may_use(request: HttpRequest) -> list[Agency]:
    agencies = product_agencies(request.user)  # type: ignore[arg-type]
    if not agencies:
        raise Http404("No products here")
    return agencies


def _product(request: HttpRequest, public_id: str) -> Product:
    product = product_for(request.user, public_id)  # type: ignore[arg-type]
    if product is None:
        raise Http404("No such product")
    return product


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    agencies = _may_use(request)
    products = visible_products(request.user).select_related("agency", "author")  # type: ignore[arg-type]
    q = request.GET.get("q", "").strip()
    if q:
        products = products.filter(
            Q(title__icontains=q)
            | Q(summary__icontains=q)
            | Q(served__icontains=q)
            | Q(outcome__icontains=q)
            | Q(author__username__iexact=q)
        )
    sort = request.GET.get("sort", "made")
    direction = request.GET.get("dir", "desc")
    if sort not in SORTS:
        sort = "made"
    if direction not in ("asc", "desc"):
        direction = "desc"
    order = SORTS[sort]
    products = products.order_by(
        ("-" if direction == "desc" else "") + order, "-id" if direction == "desc" else "id"
    )
    columns = [
        ("title", "Title"),
        ("kind", "Kind"),
        ("author", "Author"),
        ("made", "Date"),
        ("served", "Served"),
        ("outcome", "Outcome"),
    ]
    return render(
        request,
        "portal/products/list.html",
        {
            "products": products,
            "q": q,
            "sort": sort,
            "dir": direction,
            "columns": columns,
            "agencies": agencies,
        },
    )


WHAT = {"values.read": "Values of one indicator", "profile.read": "Area profile"}


def _describe(groups: list[ReadGroup]) -> list[dict[str, Any]]:
    """One row of the picker per group of reads, in words."""
    return [
        {
            "key": str(g.event_id),
            "what": WHAT.get(g.latest.action, g.latest.action),
            "dataset": g.latest.dataset,
            "indicators": ", ".join(g.latest.indicators),
            "level": g.latest.level,
            "periods": ", ".join(g.latest.periods),
            "area": g.latest.area,
            "agreements": ", ".join(g.latest.agreements) or "own agency's data",
            "uses": ", ".join(sorted(g.uses)),
            "n_reads": g.n_reads,
            "latest": g.latest.at,
        }
        for g in groups
    ]


@login_required
def product_new(request: HttpRequest) -> HttpResponse:
    agencies = _may_use(request)
    groups = recent_reads(request.user)  # type: ignore[arg-type]
    form = ProductForm(
        request.POST or None,
        agencies=agencies,
        groups=groups,
        initial={"made_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        agency = (
            next(a for a in agencies if a.slug == form.cleaned_data["agency"])
            if "agency" in form.cleaned_data
            else agencies[0]
        )
        product = record_product(
            user=request.user,  # type: ignore[arg-type]
            agency=agency,
            fields=form.fields_data(),
            groups=form.chosen_groups(),
        )
        return redirect("product-detail", public_id=product.public_id)
    return render(
        request,
        "portal/products/form.html",
        {"form": form, "reads": _describe(groups), "chosen": set(form["sources"].value() or [])},
    )


@login_required
def product_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _product(request, public_id)
    sources = list(product.sources.select_related("dataset", "event").all())
    agreements = sorted({ref for s in sources for ref in s.agreements})
    return render(
        request,
        "portal/products/detail.html",
        {"product": product, "sources": sources, "agreements": agreements},
    )


@login_required
def product_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _product(request, public_id)
    sources = list(product.sources.select_related("event"))
    # The product's sources from the editor's own reads stay rows of their own, linked to
    # the read they cite (a newer read of the same figures is another row); a colleague's
    # sources are kept as they are and shown apart. Then the editor's other recent reads.
    own = [s for s in sources if s.event.user_id == request.user.pk]
    fixed = [s for s in sources if s.event.user_id != request.user.pk]
    groups = _source_groups(own) + recent_reads(
        request.user,  # type: ignore[arg-type]
        exclude=[s.event_id for s in sources],
    )
    initial = {
        "title": product.title,
        "kind": product.kind,
        "made_on": product.made_on,
        "summary": product.summary,
        "served": product.served,
        "served_on": product.served_on,
        "sources": [str(s.event_id) for s in own],
    }
    form = ProductForm(request.POST or None, agencies=[], groups=groups, initial=initial)
    if request.method == "POST" and form.is_valid():
        kept = form.chosen_groups()
        kept_fixed = _source_groups(fixed)
        edit_product(
            product,
            user=request.user,  # type: ignore[arg-type]
            fields=form.fields_data(),
            groups=kept + kept_fixed,
        )
        return redirect("product-detail", public_id=product.public_id)
    chosen = form["sources"].value() or []
    return render(
        request,
        "portal/products/form.html",
        {
            "form": form,
            "product": product,
            "reads": _describe(groups),
            "chosen": {str(c) for c in chosen},
            "fixed": fixed,
        },
    )


def _source_groups(sources: list[Any]) -> list[ReadGroup]:
    """A product's existing sources as groups that keep them unchanged (matched by the
    read they cite)."""
    groups = []
    for source in sources:
        group = ReadGroup(
            latest=read_record(source.event),
            n_reads=source.n_reads,
            event_ids=[source.event_id],
        )
        group.uses = set(source.uses)
        groups.append(group)
    return groups


@login_required
def product_outcome(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _product(request, public_id)
    form = OutcomeForm(
        request.POST or None,
        initial={
            "outcome": product.outcome,
            "outcome_on": product.outcome_on or timezone.localdate(),
        },
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and form.cleaned_data["outcome_on"] < product.made_on
    ):
        form.add_error(
            "outcome_on", f"the outcome comes after the product ({product.made_on:%-d %B %Y})"
        )
    if request.method == "POST" and form.is_valid():
        record_outcome(
            product,
            user=request.user,  # type: ignore[arg-type]
            outcome=form.cleaned_data["outcome"],
            outcome_on=form.cleaned_data["outcome_on"],
        )
        return redirect("product-detail", public_id=product.public_id)
    return render(request, "portal/products/outcome.html", {"form": form, "product": product})

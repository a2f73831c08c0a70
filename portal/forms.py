"""Forms for the information managers' pages. They only parse and check input; the
verb functions in layers.agreements make the changes."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings

from layers.domain.access import AgreementStatus, Role, Use, public_terms_problems
from layers.domain.disclosure.policy import WardMethod, ZeroPolicy
from layers.models import Agency, Dataset, GeographyLevel, LegalBasis
from layers.storage import document_kind

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ")) for m in enum]


class AgreementForm(forms.Form):
    reference = forms.CharField(max_length=64, help_text="e.g. ISA-2026-003")
    provider = forms.ChoiceField(help_text="the agency sharing its data")
    title = forms.CharField(max_length=200)
    recipients = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="none for a public agreement (use public): it is for everyone",
    )
    datasets = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, help_text="datasets of the provider"
    )
    purposes = forms.CharField(
        help_text="comma-separated, e.g. community_safety, violence_reduction"
    )
    legal_basis = forms.ChoiceField(choices=LegalBasis.choices)
    legal_basis_text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    roles = forms.MultipleChoiceField(
        choices=_choices(Role),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="none for a public agreement",
    )
    finest_level = forms.ChoiceField(help_text="no finer level may be seen under it")
    uses = forms.MultipleChoiceField(
        choices=_choices(Use),
        widget=forms.CheckboxSelectMultiple,
        help_text="public: published on the public page and API, with no sign-in, under "
        "this agreement's policy (on its own, with no recipients or roles)",
    )
    min_count = forms.IntegerField(
        min_value=0, initial=10, help_text="counts 0 < n < this are withheld"
    )
    round_to = forms.IntegerField(min_value=0, initial=5, help_text="0 means no rounding")
    min_denominator = forms.IntegerField(min_value=0, initial=100)
    zero_policy = forms.ChoiceField(choices=_choices(ZeroPolicy))
    secondary = forms.BooleanField(required=False, initial=True, label="Secondary suppression")
    ward_method = forms.ChoiceField(
        choices=_choices(WardMethod),
        initial=WardMethod.SUM_OF_PUBLISHED.value,
        help_text="sum_of_published: wards only from published LSOAs (adds no risk); "
        "protected: wards inside the protected system (more cells withheld)",
    )
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    review_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(choices=_choices(AgreementStatus), initial="draft")
    signatories = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    marking = forms.CharField(max_length=64, initial="OFFICIAL-SENSITIVE")
    signed_document = forms.FileField(
        required=False, help_text="the signed agreement: PDF, or a PNG or JPEG scan"
    )
    change_note = forms.CharField(
        max_length=300, required=False, help_text="what changed and why (kept with the version)"
    )

    def __init__(
        self, *args: Any, providers: list[Agency], editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(a.slug, a.name) for a in providers]
        self.fields["recipients"].choices = [(a.slug, a.name) for a in Agency.objects.all()]
        self.fields["datasets"].choices = [
            (d.slug, f"{d.title} ({d.owner.name})") for d in Dataset.objects.select_related("owner")
        ]
        self.fields["finest_level"].choices = [
            (lv.slug, lv.name) for lv in GeographyLevel.objects.all()
        ]
        if editing:
            for name in ("reference", "provider"):
                self.fields[name].disabled = True

    def clean_purposes(self) -> list[str]:
        values = [p.strip() for p in self.cleaned_data["purposes"].split(",") if p.strip()]
        bad = [p for p in values if not _SLUG.match(p)]
        if not values or bad:
            raise forms.ValidationError(
                "list purposes as lower-case words joined by _ , "
                "separated by commas" + (f" (not {bad[0]!r})" if bad else "")
            )
        return sorted(set(values))

    def clean_signed_document(self) -> Any:
        upload = self.cleaned_data.get("signed_document")
        if not upload:
            return None
        limit = settings.AGREEMENT_DOCUMENT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"the document is {upload.size:,} bytes; the limit is {limit:,} bytes"
            )
        head = upload.read(16)
        upload.seek(0)
        # The kind comes from the content, never from the name or the browser's content type.
        if document_kind(head) is None:
            raise forms.ValidationError("the document must be a PDF, PNG or JPEG file")
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", f"ends before it starts ({starts})")
        if data.get("legal_basis") == LegalBasis.OTHER and not data.get("legal_basis_text"):
            self.add_error("legal_basis_text", "say what the legal basis is")
        if "uses" in data:
            for name, message in public_terms_problems(
                uses=data["uses"],
                recipients=data.get("recipients") or [],
                roles=data.get("roles") or [],
            ).items():
                self.add_error(name, message)
        provider = data.get("provider")
        owners = dict(Dataset.objects.values_list("slug", "owner__slug"))
        for slug in data.get("datasets") or []:
            if provider and owners.get(slug) != provider:
                self.add_error("datasets", f"{slug} is not a dataset of {provider}")
        return data

    def terms(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "title": d["title"],
            "recipients": sorted(d["recipients"]),
            "datasets": sorted(d["datasets"]),
            "purposes": d["purposes"],
            "legal_basis": d["legal_basis"],
            "legal_basis_text": d["legal_basis_text"],
            "roles": sorted(d["roles"]),
            "finest_level": d["finest_level"],
            "uses": sorted(d["uses"]),
            "min_count": d["min_count"],
            "round_to": d["round_to"],
            "min_denominator": d["min_denominator"],
            "zero_policy": d["zero_policy"],
            "secondary": d["secondary"],
            "ward_method": d["ward_method"],
            "starts_on": d["starts_on"],
            "ends_on": d["ends_on"],
            "review_on": d["review_on"],
            "status": d["status"],
            "signatories": d["signatories"],
            "marking": d["marking"],
        }


class SuspendForm(forms.Form):
    reason = forms.CharField(max_length=250)


class RenewForm(forms.Form):
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    review_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class AuditFilterForm(forms.Form):
    agreement = forms.CharField(required=False)
    agency = forms.ChoiceField(required=False)
    user = forms.CharField(required=False, label="User name")
    action = forms.CharField(required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "any")] + [(a.slug, a.name) for a in agencies]

"""Django admin for the records information managers may need to fix by hand. Agreements
are changed through their own pages (each edit a new version), and the audit trail is
read-only here as everywhere.

Every add, change and delete made here writes an audit event in the admin's own
transaction (`AuditedAdmin`), with the old and new value of each changed field. The hook
is the ModelAdmin, not model signals: STYLE.md keeps domain behaviour out of signals, and
only the admin knows who made the change and through which form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import models, transaction
from django.forms.models import model_to_dict
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from layers import audit
from layers.models import (
    Agency,
    AuditEvent,
    Dataset,
    GeographyLevel,
    Indicator,
    Membership,
    Priority,
    PriorityTarget,
)

SOURCE = "admin"
# Never written to the trail, even as a hash.
_SECRET = ("password", "key", "token", "digest", "secret")
_FORM_ONLY = {"DELETE", "id"}


def _is_secret(name: str) -> bool:
    return any(word in name for word in _SECRET)


def _agency_of(obj: models.Model) -> int | None:
    """The agency an event about `obj` is filed under, so that agency's information
    managers see it in their audit trail."""
    if isinstance(obj, Agency):
        return obj.pk
    if isinstance(obj, Indicator):
        return obj.dataset.owner_id
    if isinstance(obj, PriorityTarget):
        return obj.priority.owner_id
    if isinstance(obj, User):
        first = obj.memberships.order_by("id").first() if obj.pk else None
        return first.agency_id if first else None
    for attribute in ("agency_id", "owner_id", "provider_id"):
        if hasattr(obj, attribute):
            return getattr(obj, attribute)  # type: ignore[no-any-return]
    return None


def _old_value(form: forms.BaseForm, name: str) -> Any:
    old = form.initial.get(name)
    field = form.fields.get(name)
    # model_to_dict gives a foreign key as its id; name the record instead.
    is_foreign_key = isinstance(field, forms.ModelChoiceField) and not isinstance(
        field, forms.ModelMultipleChoiceField
    )
    if is_foreign_key and old is not None and not isinstance(old, models.Model):
        old = field.queryset.filter(pk=old).first()  # type: ignore[union-attr]
    return old


def form_changes(form: forms.BaseForm) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for what a bound, valid admin form changes."""
    return {
        name: [audit.plain(_old_value(form, name)), audit.plain(form.cleaned_data.get(name))]
        for name in form.changed_data
        if name not in _FORM_ONLY and not _is_secret(name)
    }


def form_values(form: forms.BaseForm) -> dict[str, Any]:
    return {
        name: audit.plain(form.cleaned_data.get(name))
        for name in form.fields
        if name not in _FORM_ONLY and not _is_secret(name)
    }


def snapshot(obj: models.Model) -> dict[str, Any]:
    return {
        name: audit.plain(value)
        for name, value in model_to_dict(obj).items()
        if not _is_secret(name)
    }


def record_admin_change(request: Any, obj: models.Model, verb: str, detail: dict[str, Any]) -> None:
    audit.record(
        action=f"{obj._meta.model_name}.{verb}",
        user=request.user,
        agency_id=_agency_of(obj),
        detail={"object": str(obj), "id": obj.pk, **detail, "source": SOURCE},
    )


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Writes `<model>.created|updated|deleted` for every change made through the admin,
    inline rows included; an unchanged save writes nothing."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        detail = {"changed": form_changes(form)} if change else {"values": form_values(form)}
        super().save_model(request, obj, form, change)
        if change and not detail["changed"]:
            return
        record_admin_change(request, obj, "updated" if change else "created", detail)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        deleted = [f.instance for f in formset.deleted_forms if f.instance.pk is not None]
        gone = [(obj, snapshot(obj), str(obj), obj.pk) for obj in deleted]
        edits = [
            (f, f.instance.pk is None, form_changes(f) if f.instance.pk else form_values(f))
            for f in formset.forms
            if f not in formset.deleted_forms and f.has_changed()
        ]
        super().save_formset(request, form, formset, change)
        for obj, values, label, pk in gone:
            audit.record(
                action=f"{obj._meta.model_name}.deleted",
                user=request.user,
                agency_id=_agency_of(form.instance),
                detail={"object": label, "id": pk, "values": values, "source": SOURCE},
            )
        for f, is_new, changes in edits:
            if is_new:
                record_admin_change(request, f.instance, "created", {"values": changes})
            elif changes:
                record_admin_change(request, f.instance, "updated", {"changed": changes})

    def delete_model(self, request: Any, obj: Any) -> None:
        record_admin_change(request, obj, "deleted", {"values": snapshot(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                record_admin_change(request, obj, "deleted", {"values": snapshot(obj)})
            super().delete_queryset(request, queryset)


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):  # type: ignore[type-arg]
    def user_change_password(self, request: Any, id: str, form_url: str = "") -> Any:
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                target = self.get_object(request, id)
                audit.record(
                    action="password.changed",
                    user=request.user,
                    agency_id=_agency_of(target) if target else None,
                    detail={"user": target.get_username() if target else id, "source": SOURCE},
                )
        return response


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(AuditedAdmin, TOTPDeviceAdmin):  # type: ignore[type-arg]
    """Deleting a user's authenticator (a lost phone) makes them enrol again at their next
    sign-in; the secret itself is never shown here (OTP_ADMIN_HIDE_SENSITIVE_DATA)."""


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):  # type: ignore[type-arg]
    pass


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ("name", "slug", "kind")
    search_fields = ("name", "slug")


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ("user", "agency", "role")
    list_filter = ("role", "agency")


class IndicatorInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Indicator
    extra = 0


@admin.register(Dataset)
class DatasetAdmin(AuditedAdmin):
    list_display = ("title", "slug", "owner", "theme", "level", "is_simulated")
    list_filter = ("theme", "owner")
    inlines = (IndicatorInline,)


@admin.register(GeographyLevel)
class GeographyLevelAdmin(AuditedAdmin):
    list_display = ("slug", "name", "kind", "edition", "boundary_version", "boundaries_loaded_at")
    readonly_fields = ("boundary_version", "boundaries_loaded_at", "boundary_source")


class PriorityTargetInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PriorityTarget
    extra = 0


@admin.register(Priority)
class PriorityAdmin(AuditedAdmin):
    """The partnership's priorities (also loaded by load_partnership); each change audited,
    its targets (inline) included."""

    list_display = ("title", "indicator", "polarity", "owner", "display_order")
    list_editable = ("display_order",)
    list_filter = ("owner",)
    search_fields = ("title", "slug")
    inlines = (PriorityTargetInline,)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "at",
        "username",
        "agency",
        "action",
        "outcome",
        "agreement_ref",
        "use",
        "n_returned",
        "n_withheld",
    )
    list_filter = ("action", "use")
    search_fields = ("username", "agreement_ref", "request_id")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

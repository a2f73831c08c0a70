"""Django admin for the records information managers may need to fix by hand. Agreements
are changed through their own pages (each edit a new version), and the audit trail is
read-only here as everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from layers.models import Agency, AuditEvent, Dataset, GeographyLevel, Indicator, Membership


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "slug", "kind")
    search_fields = ("name", "slug")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "agency", "role")
    list_filter = ("role", "agency")


class IndicatorInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Indicator
    extra = 0


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "slug", "owner", "theme", "level", "is_simulated")
    list_filter = ("theme", "owner")
    inlines = (IndicatorInline,)


@admin.register(GeographyLevel)
class GeographyLevelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("slug", "name", "kind", "edition", "boundary_version", "boundaries_loaded_at")
    readonly_fields = ("boundary_version", "boundaries_loaded_at", "boundary_source")


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

from __future__ import annotations

from django.http import HttpRequest

from layers.agreements import managed_agency_ids
from layers.products import may_record_products


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"is_information_manager": False, "may_record_products": False}
    return {
        "is_information_manager": bool(managed_agency_ids(user)),  # type: ignore[arg-type]
        "may_record_products": may_record_products(user),  # type: ignore[arg-type]
    }

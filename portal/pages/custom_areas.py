"""Custom areas (neighbourhoods) from the portal: pick LSOAs on a map, draw a shape that
snaps to whole LSOAs, or paste / upload a list of codes; name it, save it for the agency,
share it with the partnership; change or delete the agency's own. The verbs are those the
API uses (layers.geography), each audited; another agency's area is a 404 here."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from layers.domain.custom_areas import DefinitionError, parse_code_list
from layers.domain.errors import ParamError
from layers.geography import (
    custom_area_code,
    custom_area_extent,
    define_custom_area,
    delete_custom_area,
    district_extents,
    editable_custom_area,
    editable_custom_areas,
    redefine_custom_area,
    snap_polygon,
    visible_custom_areas,
)
from layers.models import Agency, CustomArea, GeographyLevel
from layers.tiles import loaded_levels

MAX_LIST_BYTES = 1024 * 1024


class CustomAreaForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="what the partnership calls the area")
    codes = forms.CharField(
        required=False,
        label="LSOA codes",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        help_text="one per line, or separated by commas or spaces; the map fills this in",
    )
    file = forms.FileField(
        required=False,
        label="Or upload a list",
        help_text="a CSV or text file (an ONS lookup will do): the column of codes is found",
    )
    shared = forms.BooleanField(required=False, label="Share with the partnership")

    def __init__(self, *args: Any, agencies: list[Agency], levels: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        if len(agencies) > 1:
            self.fields["agency"] = forms.ChoiceField(
                choices=[(a.slug, a.name) for a in agencies], help_text="the agency it belongs to"
            )
        if len(levels) > 1:
            self.fields["base_level"] = forms.ChoiceField(
                choices=[(lv.slug, lv.name) for lv in levels], label="LSOA boundaries"
            )

    def clean_file(self) -> str:
        upload = self.cleaned_data.get("file")
        if not upload:
            return ""
        if upload.size > MAX_LIST_BYTES:
            raise forms.ValidationError("the file is larger than 1 MB; a list of codes is smaller")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "the file must be text (CSV or TXT) in UTF-8, not a spreadsheet"
            ) from None

    def all_codes(self) -> list[str]:
        """The codes typed and uploaded, each once, in order."""
        codes = parse_code_list(self.cleaned_data.get("codes", "")) + parse_code_list(
            self.cleaned_data.get("file", "")
        )
        return list(dict.fromkeys(codes))


def _agencies(request: HttpRequest) -> list[Agency]:
    return list(
        Agency.objects.filter(memberships__user_id=request.user.id).distinct().order_by("name")
    )


def _base_levels() -> list[Any]:
    return [lv for lv in loaded_levels() if lv.kind == "lsoa"]


def _map_config(levels: list[Any], chosen: str, custom: CustomArea | None = None) -> dict[str, Any]:
    tile = reverse("tile", kwargs={"level": "LEVEL", "z": 0, "x": 0, "y": 0})
    districts = district_extents()
    start = custom_area_extent(custom) if custom is not None else None
    return {
        "districts": [{"code": c, "name": n, "bbox": box} for c, n, box in districts],
        "start": start or (districts[0][2] if districts else None),
        "levels": [
            {"slug": lv.slug, "version": lv.boundary_version, "bbox": lv.bbox_4326} for lv in levels
        ],
        "level": chosen,
        "tileUrl": tile.replace("LEVEL", "{level}").replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt"),
        "snapUrl": reverse("custom-area-snap"),
    }


def _show_problems(form: CustomAreaForm, error: ParamError) -> None:
    problems = getattr(error, "problems", None) or [error]
    for problem in problems:
        field = problem.parameter if problem.parameter in form.fields else None
        message = getattr(problem, "message", None) or problem.public_message
        form.add_error(field, message)


def _form_page(
    request: HttpRequest, form: CustomAreaForm, *, custom: CustomArea | None, status: int = 200
) -> HttpResponse:
    levels = _base_levels()
    chosen = custom.base_level.slug if custom else (levels[0].slug if levels else "")
    if not custom and "base_level" in form.fields and form.data.get("base_level"):
        chosen = str(form.data["base_level"])
    return render(
        request,
        "portal/custom_areas/form.html",
        {"form": form, "custom": custom, "config": _map_config(levels, chosen, custom)},
        status=status,
    )


@login_required
def custom_area_list(request: HttpRequest) -> HttpResponse:
    areas = (
        visible_custom_areas(request.user)
        .select_related("owner", "base_level")
        .prefetch_related("members")
        .order_by("name", "public_id")
    )
    mine = set(editable_custom_areas(request.user).values_list("id", flat=True))
    return render(
        request,
        "portal/custom_areas/list.html",
        {"areas": [(a, a.id in mine, custom_area_code(a)) for a in areas]},
    )


@login_required
def custom_area_new(request: HttpRequest) -> HttpResponse:
    agencies = _agencies(request)
    if not agencies:
        return render(
            request,
            "portal/forbidden.html",
            {"message": "Custom areas belong to an agency, and you are a member of none."},
            status=403,
        )
    levels = [GeographyLevel.objects.get(slug=lv.slug) for lv in _base_levels()]
    form = CustomAreaForm(
        request.POST or None, request.FILES or None, agencies=agencies, levels=levels
    )
    if request.method == "POST" and form.is_valid():
        owner = agencies[0]
        if "agency" in form.cleaned_data:
            owner = next(a for a in agencies if a.slug == form.cleaned_data["agency"])
        base_level = None
        if "base_level" in form.cleaned_data:
            base_level = next(lv for lv in levels if lv.slug == form.cleaned_data["base_level"])
        elif levels:
            base_level = levels[0]
        try:
            custom = define_custom_area(
                acting_user=request.user,
                owner=owner,
                name=form.cleaned_data["name"],
                codes=form.all_codes(),
                base_level=base_level,
                is_shared=form.cleaned_data["shared"],
            )
        except (DefinitionError, ParamError) as error:
            _show_problems(form, error)
        else:
            messages.success(request, f"Saved {custom.name} ({custom.members.count()} LSOAs).")
            return redirect("profile-custom", public_id=custom.public_id)
    return _form_page(request, form, custom=None, status=400 if form.errors else 200)


def _editable(request: HttpRequest, public_id: str) -> CustomArea:
    custom = editable_custom_area(request.user, public_id)
    if custom is None:
        raise Http404("No such custom area")
    return custom


@login_required
def custom_area_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    custom = _editable(request, public_id)
    initial = {
        "name": custom.name,
        "codes": "\n".join(sorted(custom.members.values_list("gss_code", flat=True))),
        "shared": custom.is_shared,
    }
    form = CustomAreaForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        agencies=[],
        levels=[],
    )
    if request.method == "POST" and form.is_valid():
        try:
            redefine_custom_area(
                acting_user=request.user,
                custom=custom,
                name=form.cleaned_data["name"],
                codes=form.all_codes(),
                is_shared=form.cleaned_data["shared"],
            )
        except (DefinitionError, ParamError) as error:
            _show_problems(form, error)
        else:
            messages.success(request, f"Saved the changes to {custom.name}.")
            return redirect("profile-custom", public_id=custom.public_id)
    return _form_page(request, form, custom=custom, status=400 if form.errors else 200)


@login_required
def custom_area_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    custom = _editable(request, public_id)
    if request.method == "POST":
        name = custom.name
        delete_custom_area(acting_user=request.user, custom=custom)
        messages.success(request, f"Deleted {name}.")
        return redirect("custom-area-list")
    return render(request, "portal/custom_areas/delete.html", {"custom": custom})


@require_POST
@login_required
def custom_area_snap(request: HttpRequest) -> JsonResponse:
    """The LSOAs a drawn shape chooses (whole LSOAs by point on surface), to show before
    anything is saved. Body: {"level": slug, "polygon": GeoJSON Polygon in lon/lat}."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "the body must be JSON", "parameter": "body"}, status=400)
    if not isinstance(body, dict):
        return JsonResponse(
            {"error": "the body must be a JSON object", "parameter": "body"}, status=400
        )
    slug = body.get("level")
    level = next((lv for lv in _base_levels() if lv.slug == slug), None)
    if level is None:
        return JsonResponse(
            {
                "error": f"level must be an LSOA level with boundaries, not {slug!r}",
                "parameter": "level",
            },
            status=400,
        )
    try:
        found = snap_polygon(GeographyLevel.objects.get(slug=level.slug), body.get("polygon"))
    except ParamError as error:
        return JsonResponse(
            {"error": error.public_message, "parameter": error.parameter}, status=400
        )
    return JsonResponse({"level": level.slug, "areas": [{"code": c, "name": n} for c, n in found]})

"""The shared geography: levels, areas, lookups and custom areas (DESIGN.md "Domain")."""

from __future__ import annotations

import base64
import secrets

from django.contrib.gis.db import models

from layers.domain.levels import Level, LevelKind


class GeographyLevel(models.Model):
    """A boundary set with an edition (`lsoa21`). Seeded from layers.domain.levels."""

    slug = models.SlugField(max_length=16, unique=True)
    kind = models.CharField(max_length=8, choices=[(k.value, k.value) for k in LevelKind])
    edition = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    # Changes on every boundary load: tile URLs carry it, so a cached tile is never stale.
    boundary_version = models.CharField(max_length=16, blank=True, default="")
    boundaries_loaded_at = models.DateTimeField(null=True, blank=True)
    boundary_source = models.CharField(max_length=300, blank=True, default="")
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def as_domain(self) -> Level:
        return Level(
            slug=self.slug, kind=LevelKind(self.kind), edition=self.edition, name=self.name
        )


class Area(models.Model):
    """One boundary of a level, e.g. LSOA E01013378. Geometry in British National Grid."""

    level = models.ForeignKey(GeographyLevel, on_delete=models.PROTECT, related_name="areas")
    gss_code = models.CharField(max_length=16)
    name = models.CharField(max_length=200)
    geom_27700 = models.MultiPolygonField(srid=27700)
    area_ha = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "gss_code"], name="area_unique_level_code"),
        ]
        indexes = [models.Index(fields=["gss_code"])]
        ordering = ["gss_code"]

    def __str__(self) -> str:
        return f"{self.gss_code} {self.name}"


class AreaShape(models.Model):
    """A web-mercator copy of an area simplified for one zoom band (layers.domain.tiles).

    `level` is repeated from the area so the tile query filters without a join.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="shapes")
    level = models.ForeignKey(GeographyLevel, on_delete=models.CASCADE, related_name="+")
    zoom_band = models.PositiveSmallIntegerField()
    geom_3857 = models.MultiPolygonField(srid=3857)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "zoom_band"], name="areashape_unique_band"),
        ]
        indexes = [models.Index(fields=["level", "zoom_band"])]


class Lookup(models.Model):
    """A child -> parent link between levels, or between editions of one level.

    Kept by code rather than by foreign key: a parent level may be derived from this
    very lookup (districts dissolved from LSOAs), and reloading a level's boundaries
    must not drop its lookups.
    """

    class Change(models.TextChoices):
        NONE = "", "not an edition change"
        UNCHANGED = "U", "unchanged"
        SPLIT = "S", "split"
        MERGED = "M", "merged"
        COMPLEX = "X", "complex"

    class Method(models.TextChoices):
        EXACT = "exact", "exact nesting"
        ONS_BEST_FIT = "ons_best_fit", "best fit as published"
        POINT_ON_SURFACE = "point_on_surface", "best fit by each child's point on surface"
        EDITION_CHANGE = "edition_change", "edition change lookup"

    child_level = models.ForeignKey(GeographyLevel, on_delete=models.CASCADE, related_name="+")
    child_code = models.CharField(max_length=16)
    parent_level = models.ForeignKey(GeographyLevel, on_delete=models.CASCADE, related_name="+")
    parent_code = models.CharField(max_length=16)
    parent_name = models.CharField(max_length=200, blank=True, default="")
    weight = models.FloatField(default=1.0)
    change = models.CharField(max_length=1, choices=Change.choices, blank=True, default="")
    method = models.CharField(max_length=24, choices=Method.choices, default=Method.EXACT)
    source = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["child_level", "child_code", "parent_level", "parent_code"],
                name="lookup_unique_link",
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0) & models.Q(weight__lte=1),
                name="lookup_weight_in_0_1",
            ),
        ]
        indexes = [models.Index(fields=["parent_level", "parent_code"])]

    def __str__(self) -> str:
        return f"{self.child_code} -> {self.parent_code}"


def new_public_id() -> str:
    """12 random base32 characters (60 bits): a custom area's code in URLs and values, so
    codes say nothing about how many areas other agencies have drawn, or when."""
    return base64.b32encode(secrets.token_bytes(8)).decode().rstrip("=").lower()[:12]


class CustomArea(models.Model):
    """A named set of base areas (usually LSOAs) owned by an agency; geometry is the union.

    `geom_27700` is recomputed by layers.geography.set_custom_area_members and whenever
    the base level's boundaries are reloaded.
    """

    name = models.CharField(max_length=200)
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id)
    owner = models.ForeignKey(
        "layers.Agency", on_delete=models.PROTECT, related_name="custom_areas"
    )
    base_level = models.ForeignKey(GeographyLevel, on_delete=models.PROTECT, related_name="+")
    members = models.ManyToManyField(Area, related_name="custom_areas")
    geom_27700 = models.MultiPolygonField(srid=27700, null=True, blank=True)
    area_ha = models.FloatField(default=0)
    is_shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="customarea_unique_name"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

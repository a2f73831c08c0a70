from __future__ import annotations

from layers.models.agency import Agency
from layers.models.geography import Area, AreaShape, CustomArea, GeographyLevel, Lookup

__all__ = ["Agency", "Area", "AreaShape", "CustomArea", "GeographyLevel", "Lookup"]

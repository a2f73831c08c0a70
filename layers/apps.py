from __future__ import annotations

from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Geographies, datasets and agreements"

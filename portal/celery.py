"""The Celery application for background work (ingest, exports, tile warming).

Tasks are thin wrappers that call the same pipeline functions as the commands.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("commonground")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

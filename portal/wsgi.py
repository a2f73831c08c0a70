from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Web requests stop any one statement after 15 s unless told otherwise (settings).
os.environ.setdefault("DB_STATEMENT_TIMEOUT_MS", "15000")
application = get_wsgi_application()

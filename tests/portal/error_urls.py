"""The project's URLs plus views that fail on purpose, for the DEBUG=False error tests."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from portal import urls as project

# Everything an error response must never show: SQL, a file path, a figure.
SECRET = "SELECT value FROM layers_value WHERE area='E01000001' -- 4242 /srv/portal/secret.py"


def boom(request):
    raise RuntimeError(SECRET)


def denied(request):
    raise PermissionDenied(SECRET)


def missing(request):
    raise Http404(SECRET)


class ApiBoom(APIView):
    permission_classes = (AllowAny,)

    def get(self, request):
        raise RuntimeError(SECRET)


urlpatterns = [
    path("boom/", boom),
    path("denied/", denied),
    path("missing/", missing),
    path("api/v1/boom/", ApiBoom.as_view()),
    path("api/v1/denied/", denied),
    *project.urlpatterns,
]
handler400 = project.handler400
handler403 = project.handler403
handler404 = project.handler404
handler500 = project.handler500

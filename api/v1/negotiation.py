"""Views choose their own output format (api.v1.params.output_format), so that an
unknown `?format=` is a 400 with a readable message rather than DRF's 404/406."""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import BaseContentNegotiation


class FirstRenderer(BaseContentNegotiation):
    def select_parser(self, request: Any, parsers: Any) -> Any:
        content_type = request.content_type.split(";")[0].strip()
        return next((p for p in parsers if p.media_type == content_type), None)

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type

"""Uploads of releases: the size limit is applied while the request body streams in.

Django would otherwise spool a whole upload, however large, to a temporary file before
the view sees it. This handler stores at most `INGEST_MAX_BYTES` + 1 bytes and only
counts the rest, so the pipeline sees a file over the limit (and its true size) and
refuses it with a report, without the server ever holding more than the limit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class CappedUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.stored = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = settings.INGEST_MAX_BYTES + 1 - self.stored
        if room > 0:
            kept = raw_data[:room]
            self.file.write(kept)
            self.stored += len(kept)
        return None

    def file_complete(self, file_size: int) -> Any:
        upload = super().file_complete(file_size)
        upload.size = file_size  # the size sent, not the size stored
        return upload


def cap_uploads(request: Any) -> None:
    """Use the capped handler for this request (before its body is read)."""
    request.upload_handlers = [CappedUploadHandler(request)]

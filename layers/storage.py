"""Where signed agreement documents are kept: a folder outside the web root, never served
by path. They leave only through the download view, which checks the reader and audits."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.utils.text import slugify

# Kinds a signed agreement arrives as, by their first bytes (never by the name given).
DOCUMENT_KINDS: dict[str, tuple[bytes, str]] = {
    ".pdf": (b"%PDF-", "application/pdf"),
    ".png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    ".jpg": (b"\xff\xd8\xff", "image/jpeg"),
}


def document_kind(head: bytes) -> str | None:
    """The suffix for a document whose content starts with `head`, or None."""
    for suffix, (magic, _) in DOCUMENT_KINDS.items():
        if head.startswith(magic):
            return suffix
    return None


class PrivateFileStorage(FileSystemStorage):
    """A FileSystemStorage under settings.DOCUMENT_STORE that has no URL.

    The location is read from settings on each use (not cached at import) so a test, or a
    deployment that sets DOCUMENT_STORE, gets its own folder.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o640)
        kwargs.setdefault("directory_permissions_mode", 0o750)
        super().__init__(**kwargs)

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(settings.DOCUMENT_STORE)

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("agreement documents are never served by path; use the download view")


_documents = PrivateFileStorage()


def document_storage() -> Storage:
    return _documents


def agreement_document_path(instance: Any, filename: str) -> str:
    """agreements/<reference>/<random>.<kind>: the name a user gave is not used on disk."""
    suffix = os.path.splitext(filename)[1].lower()
    if suffix not in DOCUMENT_KINDS:
        suffix = ".bin"
    return f"agreements/{slugify(instance.agreement.reference)}/{uuid.uuid4().hex}{suffix}"

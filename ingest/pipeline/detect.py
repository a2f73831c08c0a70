"""Keep the original file (content-addressed by sha256) and tell its format from its
content, not its name."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


class FileRefused(Exception):
    """The file cannot be taken at all (too big, empty, of a type we do not read)."""


@dataclass(frozen=True, slots=True)
class KeptFile:
    name: str
    sha256: str
    size: int
    path: Path
    file_format: str


def sniff_format(path: Path) -> str:
    """`csv`, `xlsx`, `geojson`, `gpkg` or `shp-zip`, from the first bytes."""
    with path.open("rb") as handle:
        head = handle.read(2048)
    if not head:
        raise FileRefused(f"{path.name}: the file is empty")
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            raise FileRefused(f"{path.name}: a damaged zip archive or spreadsheet") from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if any(n.lower().endswith(".shp") for n in names):
            return "shp-zip"
        raise FileRefused(
            f"{path.name}: a zip archive with neither a spreadsheet nor a shapefile in it"
        )
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(f"{path.name}: an old Excel (.xls) file; save it as .xlsx or CSV")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{") and b'"type"' in head:
        return "geojson"
    if b"\x00" in head:
        raise FileRefused(f"{path.name}: not a text, spreadsheet or GIS file")
    return "csv"


def keep_file(source: Path, *, name: str | None = None) -> KeptFile:
    """Copy `source` into the file store under its sha256 (once) and describe it."""
    size = source.stat().st_size
    limit = settings.INGEST_MAX_BYTES
    if size > limit:
        raise FileRefused(f"{source.name}: {size:,} bytes is more than the {limit:,} allowed")
    file_format = sniff_format(source)
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    stored = Path(settings.FILE_STORE) / sha[:2] / sha
    if not stored.exists():
        stored.parent.mkdir(parents=True, exist_ok=True)
        partial = stored.with_suffix(".part")
        shutil.copyfile(source, partial)
        partial.replace(stored)
    return KeptFile(name or source.name, sha, size, stored, file_format)

"""Keep the original file (content-addressed by sha256) and tell its format from its
content, not its name.

Every file that reaches the pipeline is kept, refused or not, so that a rejection can
always be looked into, except one over the size limit: keeping an arbitrarily large
file is what the limit is there to prevent, so of that only the name and the size are
recorded (and it is never read past the limit).

The store (`FILE_STORE`) is outside the web root: files are written under their sha256,
read back only by the pipeline, and never served by path.

Archives are looked into before anything opens them: a zip (a spreadsheet or a zipped
Shapefile) is refused when its members would unpack to more than
`INGEST_MAX_UNZIPPED_BYTES` or far more than their packed size (a zip bomb), when one of
them is itself an archive, when a member's name climbs out of the archive (`../`, `/`),
and a spreadsheet is refused when its XML declares a DTD (entity expansion: "billion
laughs"). Shapefiles are unpacked by `extract_zip`, which stops at the declared sizes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

_BLOCK = 1 << 20
_MAX_MEMBERS = 10_000
# Packed data in partner files (XML, CSV, DBF) shrinks up to ~50x; bombs shrink 1000x+.
_MAX_RATIO = 200
_FREE_BYTES = 1 << 20  # tiny archives may be as compressible as they like
_ARCHIVE_NAMES = (".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".jar", ".xlsx")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")
# What a file's name claims it is; a name that says nothing claims nothing.
_CLAIMS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shp-zip",
    ".shz": "shp-zip",
}
_DESCRIBED = {
    "csv": "CSV text",
    "xlsx": "an XLSX spreadsheet",
    "geojson": "GeoJSON",
    "gpkg": "a GeoPackage",
    "shp-zip": "a zipped Shapefile",
}


@dataclass(frozen=True, slots=True)
class KeptFile:
    name: str
    sha256: str
    size: int
    path: Path
    file_format: str


class FileRefused(Exception):
    """The file cannot be taken at all (too big, empty, of a type we do not read, an
    unsafe archive). `kept` is the stored copy, when there is one."""

    def __init__(self, message: str, *, kept: KeptFile | None = None, size: int = 0) -> None:
        super().__init__(message)
        self.kept = kept
        self.size = kept.size if kept is not None else size


def _unsafe_member(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return (
        path.is_absolute()
        or ".." in path.parts
        or (len(name) > 1 and name[1] == ":")  # a Windows drive
    )


# What a damaged or hostile archive raises while it is read (RuntimeError: an encrypted
# member; zlib.error: a corrupt deflate stream).
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, RuntimeError)


def check_zip(path: Path, *, label: str) -> list[zipfile.ZipInfo]:
    """The members of a zip archive, once it is known to be safe to unpack."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > _MAX_MEMBERS:
                raise FileRefused(f"{label}: a zip archive of {len(members):,} files (too many)")
            total = packed = 0
            for member in members:
                if _unsafe_member(member.filename):
                    raise FileRefused(
                        f"{label}: the archive has a file named {member.filename!r}, which "
                        "would be written outside the archive's folder (refused)"
                    )
                if member.is_dir():
                    continue
                total += member.file_size
                packed += member.compress_size
                if member.filename.lower().endswith(_ARCHIVE_NAMES) or _holds_archive(
                    archive, member
                ):
                    raise FileRefused(
                        f"{label}: the archive holds another archive ({member.filename}); "
                        "archives inside archives are refused: send the files themselves"
                    )
            limit = settings.INGEST_MAX_UNZIPPED_BYTES
            if total > limit:
                raise FileRefused(
                    f"{label}: the archive would unpack to {total:,} bytes, more than the "
                    f"{limit:,} allowed (refused as a possible zip bomb)"
                )
            if total > _FREE_BYTES and total > _MAX_RATIO * max(packed, 1):
                raise FileRefused(
                    f"{label}: the archive would unpack to {total // max(packed, 1):,} times "
                    f"its packed size (more than {_MAX_RATIO}x: refused as a possible zip bomb)"
                )
    except _DAMAGED:
        raise FileRefused(f"{label}: a damaged zip archive or spreadsheet") from None
    return members


def _holds_archive(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    if member.file_size < 4:
        return False
    with archive.open(member) as handle:
        return handle.read(8).startswith(_ARCHIVE_MAGIC)


def _check_spreadsheet_xml(path: Path, members: list[zipfile.ZipInfo], *, label: str) -> None:
    """No DTD in any XML part: entity expansion ("billion laughs") is refused here, and
    again by defusedxml inside openpyxl."""
    with zipfile.ZipFile(path) as archive:
        for member in members:
            if not member.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(member) as handle:
                    head = handle.read(64 * 1024)
            except _DAMAGED:
                raise FileRefused(f"{label}: a damaged zip archive or spreadsheet") from None
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise FileRefused(
                    f"{label}: the spreadsheet's XML ({member.filename}) declares a DTD or "
                    "entities, which can be used to exhaust the server's memory (refused); "
                    "save it again from Excel or LibreOffice"
                )


def sniff_format(path: Path, *, label: str | None = None) -> str:
    """`csv`, `xlsx`, `geojson`, `gpkg` or `shp-zip`, from the content."""
    label = label or path.name
    with path.open("rb") as handle:
        head = handle.read(2048)
    if not head:
        raise FileRefused(f"{label}: the file is empty")
    if head.startswith(b"PK\x03\x04"):
        members = check_zip(path, label=label)
        names = [m.filename for m in members]
        if "xl/workbook.xml" in names:
            _check_spreadsheet_xml(path, members, label=label)
            return "xlsx"
        if any(n.lower().endswith(".shp") for n in names):
            return "shp-zip"
        raise FileRefused(
            f"{label}: a zip archive with neither a spreadsheet nor a shapefile in it"
        )
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(f"{label}: an old Excel (.xls) file; save it as .xlsx or CSV")
    if head.startswith(_ARCHIVE_MAGIC[1:]):
        raise FileRefused(f"{label}: a compressed archive other than zip; send the file itself")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{") and b'"type"' in head:
        return "geojson"
    if b"\x00" in head:
        raise FileRefused(f"{label}: not a text, spreadsheet or GIS file")
    return "csv"


def _check_name(name: str, file_format: str) -> None:
    """A name that claims another type than the content is refused: the content decides
    how a file is read, and a steward should know what they sent."""
    claimed = _CLAIMS.get(Path(name).suffix.lower())
    if claimed is not None and claimed != file_format:
        raise FileRefused(
            f"{name}: named {Path(name).suffix.lower()} but the content is "
            f"{_DESCRIBED[file_format]}: rename it or save it in the format its name says"
        )


def keep_file(source: Path, *, name: str | None = None, size_hint: int = 0) -> KeptFile:
    """Copy `source` into the file store under its sha256 (once), in one streamed pass
    that stops at the size limit, then tell its format from its content.

    `size_hint` is the size the sender declared (an upload cut short at the limit).
    Raises FileRefused, with the kept copy when there is one.
    """
    name = name or source.name
    limit = settings.INGEST_MAX_BYTES
    size = max(source.stat().st_size, size_hint)
    if size > limit:
        raise FileRefused(
            f"{name}: {size:,} bytes is more than the {limit:,} allowed; the file was not "
            "kept (only its name and size are recorded)",
            size=size,
        )
    store = Path(settings.FILE_STORE)
    store.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    copied = 0
    handle, partial_name = tempfile.mkstemp(dir=store, prefix=".incoming-")
    partial = Path(partial_name)
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as stream:
            while block := stream.read(_BLOCK):
                copied += len(block)
                if copied > limit:  # grew since it was measured
                    raise FileRefused(
                        f"{name}: more than the {limit:,} bytes allowed; the file was not kept",
                        size=copied,
                    )
                digest.update(block)
                out.write(block)
        sha = digest.hexdigest()
        stored = store / sha[:2] / sha
        if stored.exists():
            partial.unlink()
        else:
            stored.parent.mkdir(parents=True, exist_ok=True)
            partial.replace(stored)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    kept = KeptFile(name, sha, copied, stored, "")
    try:
        file_format = sniff_format(stored, label=name)
        _check_name(name, file_format)
    except FileRefused as exc:
        raise FileRefused(str(exc), kept=kept) from None
    return KeptFile(name, sha, copied, stored, file_format)


def extract_zip(path: Path, folder: Path) -> list[Path]:
    """Unpack a checked archive into `folder`, never writing more than each member's
    declared size (zipfile stops there) nor outside `folder`."""
    members = check_zip(path, label=path.name)
    written: list[Path] = []
    budget = settings.INGEST_MAX_UNZIPPED_BYTES
    root = folder.resolve()
    with zipfile.ZipFile(path) as archive:
        for member in members:
            if member.is_dir():
                continue
            target = (root / PurePosixPath(member.filename.replace("\\", "/")).name).resolve()
            if target.parent != root:
                raise FileRefused(f"{path.name}: unsafe member name {member.filename!r}")
            with archive.open(member) as source, target.open("wb") as out:
                while block := source.read(_BLOCK):
                    budget -= len(block)
                    if budget < 0:
                        raise FileRefused(
                            f"{path.name}: the archive unpacks to more than it says "
                            "(refused as a possible zip bomb)"
                        )
                    out.write(block)
            written.append(target)
    return written

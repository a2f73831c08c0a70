"""Load named SQL statements from a .sql file, once at import (STYLE.md "SQL and GIS").

A file holds one or more statements, each introduced by a line `-- name: some_name`.
Values always go in as bind parameters; identifiers are never interpolated.
"""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def load_statements(path: Path) -> dict[str, str]:
    text = path.read_text()
    parts = _NAME.split(text)
    if len(parts) == 1:
        return {path.stem: text.strip()}
    # parts = [header, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}

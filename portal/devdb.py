"""The project's own private PostgreSQL + PostGIS cluster, for development and tests.

Used when no DATABASE_URL is set (DESIGN.md "Running"). Standard library only, so that
the Makefile, settings and the test conftest can all call it before Django is set up.

    python -m portal.devdb up       # start (initdb on first use); prints the DSN
    python -m portal.devdb stop     # stop the server, keep the data
    python -m portal.devdb status

COMMONGROUND_DB names another database in the same cluster (default `commonground`):
the synthetic national geography lives in `commonground_national` (make national), so
it never mixes with the demo.

Why it looks the way it does (STACK.md, pitfalls 2 and 3):
- initdb refuses to run as root, so as root the server runs as the `postgres` user
  through runuser, in a data folder it owns.
- Every parent folder of the data folder must be enterable by that user. A checkout
  may sit under a folder it cannot enter (a mode-700 home, a CI workspace); then the
  cluster lives under /tmp in a folder named after the checkout, and `.pg/` in the
  checkout says where (the `datadir` file).
- The port is derived from the checkout path, so two checkouts on one machine (a
  developer's and CI's clone) never share or fight over one server.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = BASE_DIR / ".pg"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DB_NAME = os.environ.get("COMMONGROUND_DB") or "commonground"
if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", DB_NAME):
    raise SystemExit(f"devdb: COMMONGROUND_DB must be a lower-case identifier, not {DB_NAME!r}")
DB_USER = "postgres"
SERVER_USER = "postgres"


def _checkout_key() -> str:
    return hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:10]


def port() -> int:
    """A port of this checkout's own, stable across runs (54000-54999)."""
    return 54000 + int(_checkout_key(), 16) % 1000


def _is_root() -> bool:
    return os.geteuid() == 0


def _server_user_can_enter(path: Path) -> bool:
    if not _is_root():
        return True
    result = subprocess.run(
        ["runuser", "-u", SERVER_USER, "--", "test", "-x", str(path)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def cluster_dir() -> Path:
    """Where the cluster lives: `.pg/` in the checkout, or under /tmp when it cannot."""
    pointer = STATE_DIR / "datadir"
    if pointer.exists():
        return Path(pointer.read_text().strip())
    STATE_DIR.mkdir(exist_ok=True)
    if _server_user_can_enter(BASE_DIR):
        chosen = STATE_DIR / "cluster"
    else:
        chosen = Path("/tmp") / f"commonground-pg-{_checkout_key()}"  # noqa: S108
    pointer.write_text(f"{chosen}\n")
    return chosen


def _as_server_user(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    command = ["runuser", "-u", SERVER_USER, "--", *args] if _is_root() else args
    return subprocess.run(command, text=True, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]


def _listening(p: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", p)) == 0


def _psql(sql: str, db: str = "postgres") -> str:
    result = subprocess.run(
        [
            str(PG_BIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port()),
            "-U",
            DB_USER,
            "-d",
            db,
            "-qAt",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


def dsn() -> str:
    return f"postgresql://{DB_USER}@127.0.0.1:{port()}/{DB_NAME}"


def _fail(message: str, log: Path | None = None) -> None:
    detail = ""
    if log is not None and log.exists():
        detail = "\n--- " + str(log) + " ---\n" + log.read_text()[-3000:]
    raise SystemExit(f"devdb: {message}{detail}")


def up() -> str:
    """Start the cluster (creating it on first use) and make sure the database exists."""
    if not (PG_BIN / "initdb").exists():
        _fail(f"{PG_BIN}/initdb not found: run `make setup` (installs postgresql-15-postgis-3)")
    root = cluster_dir()
    data = root / "data"
    if not _listening(port()):
        root.mkdir(parents=True, exist_ok=True)
        if _is_root():
            pw = pwd.getpwnam(SERVER_USER)
            os.chown(root, pw.pw_uid, pw.pw_gid)
        root.chmod(0o700)
        if not (data / "PG_VERSION").exists():
            if data.exists():
                shutil.rmtree(data)
            with open(root / "initdb.log", "w") as log:
                result = _as_server_user(
                    [
                        str(PG_BIN / "initdb"),
                        "-D",
                        str(data),
                        "-U",
                        DB_USER,
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                        "--no-sync",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if result.returncode != 0:
                _fail("initdb failed", root / "initdb.log")
        # fsync off: this cluster holds development and test data only (STACK.md 2c).
        options = (
            f"-p {port()} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        result = _as_server_user(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(root / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ],
            capture_output=True,
        )
        if result.returncode != 0 or not _wait_listening(port()):
            _fail("the server did not start", root / "server.log")
    if _psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'") != "1":
        _psql(f'CREATE DATABASE "{DB_NAME}"')
    _psql("CREATE EXTENSION IF NOT EXISTS postgis", db=DB_NAME)
    return dsn()


def _wait_listening(p: int, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _listening(p):
            return True
        time.sleep(0.1)
    return False


def stop() -> None:
    data = cluster_dir() / "data"
    if (data / "postmaster.pid").exists():
        _as_server_user(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
        )


def status() -> str:
    state = "running" if _listening(port()) else "stopped"
    return f"{state}: {dsn()} (cluster in {cluster_dir()})"


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command == "up":
        print(up())
    elif command == "stop":
        stop()
        print("stopped")
    elif command == "status":
        print(status())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

"""Every benchmark of the scale issue, one after another, then one summary (`make bench`).

    .venv/bin/python tests/bench/run_all.py [--only tiles,values,...] [--quick]

Run by `make bench`, which first builds the demo database and the SYNTHETIC national one
(`make national`). Each script prints its own table as it goes; at the end this prints
the last lines of each (their summaries) together, with how long each took, so the
figures for a closing note are in one place. Runs on one machine and one database in one
go, so the ratios hold while absolute times drift. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PYTHON = str(BASE_DIR / ".venv" / "bin" / "python")
NATIONAL = {"COMMONGROUND_DB": os.environ.get("NATIONAL_DB", "commonground_national")}

# (name, script and arguments, extra environment, summary lines to keep)
BENCHES: list[tuple[str, list[str], dict[str, str], int]] = [
    ("tiles", ["bench_tiles_national.py"], NATIONAL, 8),
    ("values", ["bench_values_national.py"], NATIONAL, 12),
    (
        "map",
        [
            "bench_map.py",
            "--user",
            "bench-analyst",
            "--level",
            "lsoa21",
            "--indicators",
            "syn-crime-20,syn-crime-12,syn-crime-6",
        ],
        NATIONAL,
        3,
    ),
    ("ingest", ["bench_ingest.py", "--rows", "10000000", "--repeat", "1"], {}, 4),
    ("disclosure", ["bench_disclosure.py"], {}, 12),
    ("profile-pdf", ["bench_profile_pdf.py"], {}, 3),
    ("load", ["bench_load.py", "--during-ingest", "10000000"], NATIONAL, 12),
]
QUICK = {
    "ingest": ["bench_ingest.py", "--rows", "1000000", "--repeat", "3"],
    "load": ["bench_load.py", "--seconds", "8", "--max-connections", "16"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated names to run")
    parser.add_argument("--quick", action="store_true", help="smaller ingest and load runs")
    args = parser.parse_args()
    wanted = {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = wanted - {name for name, *_ in BENCHES}
    if unknown:
        raise SystemExit(f"--only: unknown {', '.join(sorted(unknown))}")
    summaries: list[tuple[str, float, int, list[str]]] = []
    for name, command, env, keep in BENCHES:
        if wanted and name not in wanted:
            continue
        if args.quick and name in QUICK:
            command = QUICK[name]
        print(f"\n===== {name}: {' '.join(command)}", flush=True)
        started = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, str(BASE_DIR / "tests" / "bench" / command[0]), *command[1:]],
            cwd=BASE_DIR,
            env={**os.environ, "DEBUG": "1", "LOG_LEVEL": "WARNING", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            if line.strip() and not line.startswith(("WARNING", "INFO")):
                lines.append(line.rstrip())
        code = process.wait()
        summaries.append((name, time.perf_counter() - started, code, lines[-keep:]))
    print("\n" + "=" * 78)
    print(f"SUMMARY (load average now {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
    for name, seconds, code, lines in summaries:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"\n--- {name}: {status}, {seconds:.0f} s")
        for line in lines:
            print(f"    {line}")


if __name__ == "__main__":
    main()

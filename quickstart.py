#!/usr/bin/env python3
"""Spotcheck's two-command quickstart; needs nothing but Python 3.11+.

    python3 quickstart.py         install into .venv, migrate, seed the demo, serve on :8000
    python3 quickstart.py test    install into .venv and run the test suite (extra args go to pytest)

The environment is respected (DATABASE_URL, REDIS_URL, ...); with none set, Spotcheck runs on
SQLite in ./data with background jobs in-process.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".spotcheck-installed"


def run(*args: str | Path) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, check=False)
    if result.returncode:
        sys.exit(result.returncode)


def install() -> None:
    """Create .venv and install the project with its dev extras, unless pyproject.toml is unchanged."""
    if sys.version_info < (3, 11):
        sys.exit(f"Spotcheck needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Spotcheck and its dependencies into .venv (the first run takes a minute) …", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[dev]")
    STAMP.write_text(wanted)


def serve() -> None:
    run(PYTHON, "manage.py", "migrate", "--no-input", "-v", "0")
    run(PYTHON, "manage.py", "seed_demo")
    print("\nSpotcheck is starting on http://127.0.0.1:8000/ — log in with one of the demo logins above.", flush=True)
    print("Stop it with Ctrl+C.\n", flush=True)
    os.execv(PYTHON, [str(PYTHON), "manage.py", "runserver", "127.0.0.1:8000"])


def test(args: list[str]) -> None:
    os.chdir(ROOT)
    os.execv(PYTHON, [str(PYTHON), "-m", "pytest", *args])


if __name__ == "__main__":
    command, rest = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("serve", [])
    if command not in ("serve", "test"):
        sys.exit(__doc__)
    install()
    serve() if command == "serve" else test(rest)

#!/usr/bin/env python3
"""Spotcheck's two-command quickstart; needs nothing but Python 3.11+.

    python3 quickstart.py [--port N]   install into .venv, migrate, seed the demo, serve on 127.0.0.1:N
                                       (N: --port, else $PORT, else 8000)
    python3 quickstart.py test         install with the dev extras and run the test suite (extra args go to pytest)

The environment is respected (DATABASE_URL, REDIS_URL, ...); with none set, Spotcheck runs on
SQLite in ./data with background jobs in-process. The server runs with DEBUG=False (no
technical error pages) over plain HTTP on loopback, with a secret key generated once into
./data/secret_key.
"""
from __future__ import annotations

import argparse
import errno
import hashlib
import os
import secrets
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".spotcheck-installed"
HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# What each command needs installed; "dev" includes everything "runtime" has.
EXTRAS = {"serve": "runtime", "test": "dev"}


def run(*args: str | Path) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, check=False)
    if result.returncode:
        sys.exit(result.returncode)


def installed_extras(wanted: str) -> str | None:
    """What the stamp says is installed for this pyproject.toml ("runtime" or "dev"), or None.

    A stamp holding the bare hash comes from before the serve path stopped installing the dev
    extras: it meant the dev extras."""
    if not (PYTHON.exists() and STAMP.exists()):
        return None
    digest, _, extras = STAMP.read_text().strip().partition(" ")
    if digest != wanted:
        return None
    return extras or "dev"


def install(extras: str) -> None:
    """Create .venv and install the project (`runtime`) or the project and its dev extras (`dev`),
    unless pyproject.toml is unchanged since an install that covers them."""
    if sys.version_info < (3, 11):
        sys.exit(f"Spotcheck needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    have = installed_extras(wanted)
    if have == extras or have == "dev":
        return
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    what = "its dependencies" if extras == "runtime" else "its dependencies and the development tools"
    print(f"Installing Spotcheck and {what} into .venv (the first run takes a minute) …", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-e", "." if extras == "runtime" else ".[dev]")
    STAMP.write_text(f"{wanted} {extras}")


def port_taken(port: int, host: str = HOST) -> str | None:
    """Why the server cannot listen on host:port (naming the next free port), or None if it can.

    Binds the way the development server does (SO_REUSEADDR), so a port only left in TIME_WAIT
    counts as free."""
    if _can_bind(host, port):
        return None
    free = next((p for p in range(port + 1, min(port + 100, 65536)) if _can_bind(host, p)), None)
    hint = (f" Port {free} is free: python3 quickstart.py --port {free}" if free is not None
            else " Pick another with --port N.")
    return f"Port {port} on {host} is already in use (another server is listening there).{hint}"


def _can_bind(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def serve_port(argv: list[str]) -> int:
    """--port N, else $PORT, else 8000; anything else is a clear error."""
    parser = argparse.ArgumentParser(prog="python3 quickstart.py", description="Install, seed the demo and serve.")
    parser.add_argument("--port", help=f"port to serve on (default: $PORT, else {DEFAULT_PORT})")
    given = parser.parse_args(argv).port
    source = "--port"
    if given is None:
        given, source = os.environ.get("PORT") or str(DEFAULT_PORT), "PORT"
    try:
        port = int(given)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        sys.exit(f"{source} must be a port number from 1 to 65535, not {given!r}")
    return port


def serving_environment(data_dir: Path) -> dict[str, str]:
    """Production settings minus TLS, for a server on loopback over plain HTTP: DEBUG off (no
    technical error pages), a secret key generated once and kept in the data folder, no HTTPS
    redirect and cookies sent over HTTP. Whatever the environment already sets wins."""
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    defaults = {
        "DEBUG": "False",
        "SECRET_KEY": key_file.read_text().strip(),
        "SECURE_SSL_REDIRECT": "False",
        "SECURE_COOKIES": "False",
    }
    return {**defaults, **os.environ}


def serve(port: int) -> None:
    os.environ.update(serving_environment(Path(os.environ.get("DATA_DIR") or ROOT / "data")))
    run(PYTHON, "manage.py", "migrate", "--no-input", "-v", "0")
    run(PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0")  # whitenoise serves them: DEBUG is off
    run(PYTHON, "manage.py", "seed_demo")
    if (taken := port_taken(port)) is not None:  # again: the seed took a while
        sys.exit(taken)
    print(f"\nSpotcheck: http://{HOST}:{port}/ — log in with one of the demo logins above.", flush=True)
    print("Stop it with Ctrl+C.\n", flush=True)
    os.execv(PYTHON, [str(PYTHON), "manage.py", "runserver", f"{HOST}:{port}"])


def test(args: list[str]) -> None:
    os.chdir(ROOT)
    os.execv(PYTHON, [str(PYTHON), "-m", "pytest", *args])


def main(argv: list[str]) -> None:
    if argv[:1] == ["test"]:
        install(EXTRAS["test"])
        test(argv[1:])
    if argv[:1] == ["serve"]:
        argv = argv[1:]
    if argv[:1] in (["-h"], ["--help"]):
        sys.exit(__doc__)
    port = serve_port(argv)
    if (taken := port_taken(port)) is not None:  # before a minute of installing and seeding
        sys.exit(taken)
    install(EXTRAS["serve"])
    serve(port)


if __name__ == "__main__":
    main(sys.argv[1:])

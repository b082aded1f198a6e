"""quickstart.py on a shared host: a taken port is said, with a free one to use instead; the port
comes from --port or $PORT; each command installs what it needs once, and no more."""
from __future__ import annotations

import socket

import pytest

import quickstart


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def can_listen(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_a_taken_port_is_named_with_a_free_one_to_use_instead():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        message = quickstart.port_taken(port)
        assert message is not None
        assert f"Port {port} on 127.0.0.1 is already in use" in message
        suggested = int(message.rsplit("--port ", 1)[1])
        assert suggested != port
        assert can_listen(suggested)


def test_a_free_port_is_no_message():
    assert quickstart.port_taken(free_port()) is None


def test_the_port_comes_from_the_flag_then_the_environment_then_8000(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    assert quickstart.serve_port([]) == 8000
    monkeypatch.setenv("PORT", "18123")
    assert quickstart.serve_port([]) == 18123
    assert quickstart.serve_port(["--port", "18124"]) == 18124


@pytest.mark.parametrize("argv, env, said", [
    (["--port", "eighty"], None, "--port must be a port number from 1 to 65535, not 'eighty'"),
    ([], "70000", "PORT must be a port number from 1 to 65535, not '70000'"),
])
def test_a_bad_port_is_a_clear_error(monkeypatch, argv, env, said):
    monkeypatch.delenv("PORT", raising=False)
    if env is not None:
        monkeypatch.setenv("PORT", env)
    with pytest.raises(SystemExit) as exit:
        quickstart.serve_port(argv)
    assert str(exit.value) == said


@pytest.fixture
def fake_venv(tmp_path, monkeypatch):
    python = tmp_path / "python"
    python.touch()
    monkeypatch.setattr(quickstart, "PYTHON", python)
    monkeypatch.setattr(quickstart, "STAMP", tmp_path / "stamp")
    return tmp_path / "stamp"


def test_the_stamp_says_what_is_installed_for_this_pyproject(fake_venv):
    assert quickstart.installed_extras("abc") is None
    fake_venv.write_text("abc runtime")
    assert quickstart.installed_extras("abc") == "runtime"
    assert quickstart.installed_extras("changed") is None
    fake_venv.write_text("abc")  # written before serve stopped installing the dev extras
    assert quickstart.installed_extras("abc") == "dev"


def test_serve_after_test_installs_nothing_and_test_after_serve_installs_the_extras(fake_venv, monkeypatch):
    ran: list[tuple[str, ...]] = []
    monkeypatch.setattr(quickstart, "run", lambda *args: ran.append(tuple(map(str, args))))
    wanted = quickstart.hashlib.sha256((quickstart.ROOT / "pyproject.toml").read_bytes()).hexdigest()

    fake_venv.write_text(f"{wanted} dev")
    quickstart.install("runtime")
    assert ran == []

    fake_venv.write_text(f"{wanted} runtime")
    quickstart.install("runtime")
    assert ran == []
    quickstart.install("dev")
    assert ran[-1][-2:] == ("-e", ".[dev]")
    assert fake_venv.read_text() == f"{wanted} dev"

    fake_venv.unlink()
    quickstart.install("runtime")
    assert ran[-1][-2:] == ("-e", ".")
    assert fake_venv.read_text() == f"{wanted} runtime"


def test_the_serving_environment_is_debug_off_over_http_with_a_kept_key(tmp_path, monkeypatch):
    for name in ("DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    env = quickstart.serving_environment(tmp_path / "data")
    assert env["DEBUG"] == "False"
    assert env["SECURE_SSL_REDIRECT"] == "False"
    assert env["SECURE_COOKIES"] == "False"
    assert len(env["SECRET_KEY"]) >= 50
    assert quickstart.serving_environment(tmp_path / "data")["SECRET_KEY"] == env["SECRET_KEY"]  # kept
    monkeypatch.setenv("DEBUG", "True")
    assert quickstart.serving_environment(tmp_path / "data")["DEBUG"] == "True"  # the environment wins

"""The canonical file is written and hashed on a thread (exports/spool.py): the bytes and the digest
are exactly what was written, and an error on the thread reaches the build."""
from __future__ import annotations

import hashlib

import pytest

from reviewapp.exports import spool
from reviewapp.exports.spool import Spool


def test_the_file_and_its_digest_hold_every_byte_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(spool, "BLOCK", 1000)  # many hand-overs
    parts = [(f"line {i} " + "é" * (i % 97)).encode() + b"\n" for i in range(5000)]
    path = tmp_path / "out.jsonl"
    with Spool(path) as out:
        for part in parts:
            out.write(part)
        digest = out.close()
    assert path.read_bytes() == b"".join(parts)
    assert digest == hashlib.sha256(b"".join(parts)).hexdigest()


def test_an_empty_file_has_the_empty_digest(tmp_path):
    with Spool(tmp_path / "empty") as out:
        digest = out.close()
    assert (tmp_path / "empty").read_bytes() == b""
    assert digest == hashlib.sha256(b"").hexdigest()


def test_a_failed_write_on_the_thread_is_raised_to_the_writer(tmp_path, monkeypatch):
    monkeypatch.setattr(spool, "BLOCK", 10)
    out = Spool(tmp_path / "out")

    def broken(data):
        raise OSError(28, "No space left on device")

    out._file.write = broken  # type: ignore[method-assign]
    with pytest.raises(OSError, match="No space left"), out:
        for _ in range(1000):
            out.write(b"0123456789")
        out.close()

"""A file written and hashed on a thread, in blocks, while the caller makes the next lines.

The canonical file of a 100,000-row snapshot is about 250 MB: writing it (the kernel's copy) and
hashing it for the manifest cost about half a second of CPU. Both release the GIL for large buffers,
so a thread does them on the other core while the build's own thread turns rows into lines, and the
manifest takes the digest from here instead of reading the file again.
"""
from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path

BLOCK = 1 << 20  # bytes gathered before a block is handed over
DEPTH = 8  # blocks waiting at most (memory: DEPTH MB)


class Spool:
    """write() gathers bytes; close() waits for the thread and returns the file's sha256. Use as a
    context manager: leaving on an error stops the thread and leaves the file to the caller."""

    def __init__(self, path: Path):
        self._file = path.open("wb", buffering=0)
        self._digest = hashlib.sha256()
        self._pending: list[bytes] = []
        self._size = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="export-spool", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        self._pending.append(data)
        self._size += len(data)
        if self._size >= BLOCK:
            self._hand_over()

    def close(self) -> str:
        self._hand_over()
        self._finish()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self._finish()

    def _hand_over(self) -> None:
        if self._pending:
            if self._error is not None:
                raise self._error
            self._queue.put(b"".join(self._pending))
            self._pending.clear()
            self._size = 0

    def _finish(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._file.close()

    def _drain(self) -> None:
        while (block := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep taking blocks so the writer never waits on a full queue
            try:
                view = memoryview(block)
                while view:
                    view = view[self._file.write(view):]
                self._digest.update(block)
            except BaseException as exc:  # raised in the build's thread at its next hand-over or close
                self._error = exc

"""The outputs' input and output text, stored compressed: zstd with a dictionary trained on the
project's own outputs.

Why in the application and not the database: PostgreSQL compresses a value (pglz or lz4) only
when its row passes about 2 KB (TOAST_TUPLE_THRESHOLD, fixed at build time; toast_tuple_target
cannot lower it), and an output row of the usual shape (input about 300 characters, output about
800) is 1.3 KB: it is never compressed, whatever the column's compression setting (measured,
docs/scaling.md "Storage"). SQLite does not compress at all. Why a dictionary: a 1 KB text on its
own compresses to about 61 % (zstd or zlib); with a dictionary trained on the project's first
outputs, which learns its vocabulary, system prompts and phrasing, to about 35 %.

The format, one leading byte: 0 the UTF-8 text as is (short texts, rows written before this
existed); 1 a zstd frame; 2 a 4-byte dictionary id, then a zstd frame made with it. Frames are
written without zstd's 4-byte magic number, checksum or dictionary id (the leading byte says what
the frame is): 8 bytes an output saved. Dictionaries
are never changed or deleted while outputs use them (TextDictionary), so a value always reads back.
Only the outputs table is packed: the frozen copies of drawn outputs (audits.DrawnOutput), which
reviewers read and exports build in SQL, stay plain text.
"""
from __future__ import annotations

import json
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import zstandard
from django.db import IntegrityError, models

RAW, ZSTD, ZSTD_DICT = 0, 1, 2
SMALLEST = 96  # bytes: below this a zstd frame's overhead outweighs what it saves
LEVEL = 3
DICTIONARY_BYTES = 32_768
TRAIN_AFTER = 2_000  # outputs stored before a project's dictionary is trained from them
RECHECK_SECONDS = 300.0  # how long "this project has no dictionary yet" is believed

_local = threading.local()
_lock = threading.Lock()
_dictionaries: dict[int, zstandard.ZstdCompressionDict] = {}
_current: dict[int, tuple[int | None, float]] = {}  # project id -> (dictionary id, checked at)
_due_checked: dict[int, float] = {}  # project id -> when train_if_due last counted its outputs


def pack(text: str, dictionary_id: int | None = None) -> bytes:
    return packer(dictionary_id)(text)


def packer(dictionary_id: int | None) -> Callable[[str], bytes]:
    """pack() for many texts with one dictionary: the writer packs two texts per output."""
    compress = _compressor(dictionary_id).compress
    head = bytes([ZSTD]) if dictionary_id is None else bytes([ZSTD_DICT]) + struct.pack(">I", dictionary_id)
    raw = bytes([RAW])

    def pack_one(text: str) -> bytes:
        data = text.encode("utf-8")
        return raw + data if len(data) < SMALLEST else head + compress(data)

    return pack_one


def unpack(value: bytes | memoryview | str) -> str:
    if isinstance(value, str):  # SQLite: a row written before packing, stored as text
        return value
    data = bytes(value)
    if not data:
        return ""
    mark = data[0]
    if mark == RAW:
        return data[1:].decode("utf-8")
    if mark == ZSTD:
        return _decompressor(None).decompress(data[1:]).decode("utf-8")
    if mark == ZSTD_DICT:
        (dictionary_id,) = struct.unpack(">I", data[1:5])
        return _decompressor(dictionary_id).decompress(data[5:]).decode("utf-8")
    raise ValueError(f"packed text with unknown mark {mark}")


def _per_thread(kind: str, dictionary_id: int | None):
    # zstandard's (de)compressors must not be shared between threads at once.
    cache = _local.__dict__.setdefault(kind, {})
    found = cache.get(dictionary_id)
    if found is None:
        dictionary = _dictionary(dictionary_id) if dictionary_id is not None else None
        if kind == "c":
            params = zstandard.ZstdCompressionParameters.from_level(
                LEVEL, format=zstandard.FORMAT_ZSTD1_MAGICLESS, write_checksum=0, write_content_size=1, write_dict_id=0)
            found = zstandard.ZstdCompressor(dict_data=dictionary, compression_params=params)
        else:
            found = zstandard.ZstdDecompressor(dict_data=dictionary, format=zstandard.FORMAT_ZSTD1_MAGICLESS)
        cache[dictionary_id] = found
    return found


def _compressor(dictionary_id: int | None) -> zstandard.ZstdCompressor:
    return _per_thread("c", dictionary_id)


def _decompressor(dictionary_id: int | None) -> zstandard.ZstdDecompressor:
    return _per_thread("d", dictionary_id)


def _dictionary(dictionary_id: int) -> zstandard.ZstdCompressionDict:
    with _lock:
        found = _dictionaries.get(dictionary_id)
    if found is None:
        from .models import TextDictionary

        data = TextDictionary.objects.values_list("data", flat=True).get(pk=dictionary_id)
        found = zstandard.ZstdCompressionDict(bytes(data))
        with _lock:
            _dictionaries[dictionary_id] = found
    return found


def current_dictionary(project_id: int) -> int | None:
    """The id of the project's dictionary, or None before it has one (looked up again every few minutes)."""
    with _lock:
        known = _current.get(project_id)
    if known is not None and (known[0] is not None or time.monotonic() - known[1] < RECHECK_SECONDS):
        return known[0]
    from .models import TextDictionary

    found = TextDictionary.objects.filter(project_id=project_id).values_list("pk", flat=True).first()
    with _lock:
        _current[project_id] = (found, time.monotonic())
    return found


def train_if_due(project_id: int, created: int) -> int | None:
    """Train the project's dictionary from its latest outputs once it has TRAIN_AFTER of them.

    Called after an ingest stored `created` outputs, outside any transaction: the dictionary must
    be committed before an output names it. Small batches look at most once a minute. Returns the
    new dictionary's id, or None when it is not due (or another process trained it first). Later
    outputs use it; earlier ones keep the plain zstd they have."""
    from django.db import connection

    if connection.in_atomic_block or current_dictionary(project_id) is not None:
        return None
    now = time.monotonic()
    with _lock:
        last = _due_checked.get(project_id)
        if created < TRAIN_AFTER // 4 and last is not None and now - last < 60:
            return None
        _due_checked[project_id] = now
    from .models import Output, OutputVolume, TextDictionary

    stored = OutputVolume.objects.filter(project_id=project_id).aggregate(n=models.Sum("n"))["n"] or 0
    if stored < TRAIN_AFTER:
        return None
    samples = []
    for text_in, text_out in (Output.objects.filter(project_id=project_id).order_by("-occurred_at")
                              .values_list("input", "output")[:TRAIN_AFTER]):
        samples.append(json.dumps(text_in).encode("utf-8"))
        samples.append(str(text_out).encode("utf-8"))
    try:
        trained = zstandard.train_dictionary(DICTIONARY_BYTES, samples, level=LEVEL)
    except zstandard.ZstdError:
        return None  # too little text to learn from (very short outputs): plain zstd it stays
    try:
        dictionary = TextDictionary.objects.create(project_id=project_id, data=trained.as_bytes(), trained_on=len(samples))
    except IntegrityError:
        dictionary = None
    with _lock:
        _current.pop(project_id, None)
    return dictionary.pk if dictionary else None


def forget_cached() -> None:
    """Tests: a rolled-back transaction takes its dictionaries with it."""
    with _lock:
        _current.clear()
        _dictionaries.clear()
        _due_checked.clear()
    _local.__dict__.clear()


class PackedTextField(models.BinaryField):
    """A text column stored packed (bytea / BLOB); reads and writes str."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return None if value is None else self._load(unpack(value))

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None or isinstance(value, (bytes, memoryview)):
            return value
        return pack(self._dump(value))

    def value_to_string(self, obj) -> str:
        return self._dump(self.value_from_object(obj))

    def _load(self, text: str) -> Any:
        return text

    def _dump(self, value: Any) -> str:
        return str(value)


class PackedJSONField(PackedTextField):
    """A JSON value stored packed; reads and writes Python values, as JSONField does."""

    def _load(self, text: str) -> Any:
        return json.loads(text)

    def _dump(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

"""Outputs' input and output stored packed (ingest/packing.py): what goes in comes back, smaller."""
from __future__ import annotations

import json
import random

import pytest
from django.db import connection

from reviewapp.ingest import packing
from reviewapp.ingest.actions import ingest
from reviewapp.ingest.formats import SourceRecord
from reviewapp.ingest.models import Output, TextDictionary
from tests.helpers import record

WORDS = [f"w{i}ord" for i in range(300)]


def prose(rng: random.Random, size: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(size // 6))


@pytest.mark.parametrize("text", ["", "short", "é" * 40, "x" * 5000, "tab\t\\N\r\n\u2028 🧪 " * 50])
def test_every_text_comes_back_as_it_went_in(text):
    assert packing.unpack(packing.pack(text)) == text
    assert packing.unpack(text) == text  # a row written before packing (SQLite keeps it as text)


def test_short_texts_stay_as_they_are_and_long_ones_shrink():
    assert packing.pack("hello") == b"\x00hello"
    long = prose(random.Random(1), 1200)
    packed = packing.pack(long)
    assert packed[0] == packing.ZSTD and len(packed) < 0.8 * len(long.encode())


def test_an_unknown_mark_is_refused_not_misread():
    with pytest.raises(ValueError, match="unknown mark 9"):
        packing.unpack(b"\x09abc")


def _stored(external_id: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT output FROM ingest_output WHERE external_id = %s", [external_id])
        value = cursor.fetchone()[0]
    return value.encode() if isinstance(value, str) else bytes(value)


@pytest.mark.django_db(transaction=True)
def test_a_project_s_dictionary_is_trained_from_its_outputs_and_packs_the_later_ones_smaller(project_a):
    rng = random.Random(7)

    def batch(start, n):
        return [SourceRecord(i, data=record(f"r{i}", input=prose(rng, 300), output=prose(rng, 800)))
                for i in range(start, start + n)]

    first = batch(0, packing.TRAIN_AFTER)
    ingest(project=project_a, records=first, chunk_size=500)
    dictionary = TextDictionary.objects.get(project=project_a)
    assert dictionary.trained_on == 2 * packing.TRAIN_AFTER
    later = batch(packing.TRAIN_AFTER, 300)
    ingest(project=project_a, records=later)
    early, late = _stored("r0"), _stored(f"r{packing.TRAIN_AFTER}")
    assert early[0] == packing.ZSTD and late[0] == packing.ZSTD_DICT
    sizes = [len(_stored(f"r{i}")) / len(later[i - packing.TRAIN_AFTER].data["output"].encode())
             for i in range(packing.TRAIN_AFTER, packing.TRAIN_AFTER + 300)]
    plain = [len(_stored(f"r{i}")) / len(first[i].data["output"].encode()) for i in range(1500, 1800)]
    assert sum(sizes) / len(sizes) < 0.95 * sum(plain) / len(plain)  # the dictionary earns its keep
    packing.forget_cached()  # another process: reads the dictionary back from the database
    for item in later[:20]:
        stored = Output.objects.get(project=project_a, external_id=item.data["external_id"])
        assert stored.output == item.data["output"] and stored.input == item.data["input"]


@pytest.mark.django_db
def test_no_dictionary_is_trained_inside_a_caller_s_transaction(project_a):
    """A dictionary rolled back with its caller would leave outputs naming one that does not exist."""
    rng = random.Random(3)
    ingest(project=project_a, records=[SourceRecord(i, data=record(f"r{i}", output=prose(rng, 800)))
                                       for i in range(packing.TRAIN_AFTER + 10)])
    assert not TextDictionary.objects.exists()  # pytest's test transaction is such a caller


@pytest.mark.django_db
def test_the_orm_reads_and_writes_plain_values(project_a):
    ingest(project=project_a, records=[SourceRecord(1, data=record("a", input=[{"role": "user", "content": "hé"}]))])
    Output.objects.filter(external_id="a").update(output="changed " * 30, input={"k": ["v", 1]})
    stored = Output.objects.get(external_id="a")
    assert stored.output == "changed " * 30 and stored.input == {"k": ["v", 1]}
    assert list(Output.objects.values_list("input", flat=True)) == [{"k": ["v", 1]}]
    assert _stored("a")[0] == packing.ZSTD
    assert json.loads(packing.unpack(_stored_input("a"))) == {"k": ["v", 1]}


def _stored_input(external_id: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT input FROM ingest_output WHERE external_id = %s", [external_id])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else bytes(value)

"""The set-based writer on both backends: exact round trips, and concurrent idempotency."""
from __future__ import annotations

from datetime import datetime

import pytest

from reviewapp.ingest.actions import ingest
from reviewapp.ingest.formats import SourceRecord
from reviewapp.ingest.models import Output
from tests.helpers import record, run_in_threads

AWKWARD = "tab\there\nnewline \\ backslash \\N not-null 'quote' \"dq\" émoji 🧪 \r\n ﻿bom"


def source(*records):
    return [SourceRecord(i, data=r) for i, r in enumerate(records, 1)]


@pytest.mark.django_db
def test_awkward_text_survives_the_round_trip(project_a):
    """COPY has its own escaping (tabs, backslashes, \\N for NULL); none of it may leak into the data."""
    rec = record("awk", output=AWKWARD, input=[{"role": "user", "content": AWKWARD}],
                 context=[AWKWARD, {"content": AWKWARD, "score": 0.5}], metadata={AWKWARD: [AWKWARD, None, 1.5]},
                 trace_id="t\\N", risk_score=0.0)
    report = ingest(project=project_a, records=source(rec))
    assert report.created == 1
    stored = Output.objects.get(external_id="awk")
    assert stored.output == AWKWARD
    assert stored.input == [{"role": "user", "content": AWKWARD}]
    assert stored.context == [AWKWARD, {"content": AWKWARD, "score": 0.5}]
    assert stored.metadata == {AWKWARD: [AWKWARD, None, 1.5]}
    assert stored.trace_id == "t\\N" and stored.risk_score == 0.0


@pytest.mark.django_db
def test_a_string_input_stays_a_string(project_a):
    ingest(project=project_a, records=source(record("s", input="just text")))
    assert Output.objects.get(external_id="s").input == "just text"


@pytest.mark.django_db
def test_the_postgres_path_uses_copy(postgres, project_a, django_assert_max_num_queries):
    records = source(*(record(f"r{i}") for i in range(2000)))
    with django_assert_max_num_queries(8):  # a handful of statements for 2,000 rows: set-based, no per-row insert
        report = ingest(project=project_a, records=records, chunk_size=5000)
    assert report.created == 2000


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_the_same_records_store_each_once(postgres, project_a):
    records = [record(f"r{i}") for i in range(3000)]
    reports = run_in_threads(lambda: ingest(project=project_a, records=source(*records), chunk_size=500), [(), ()])
    assert sum(r.created for r in reports) == 3000
    assert sum(r.already_present for r in reports) == 3000
    assert Output.objects.filter(project=project_a).count() == 3000


@pytest.mark.django_db
def test_a_partial_resend_stores_only_the_new_ids(project_a):
    """Two ids already stored, three new: the key trigger (PostgreSQL) or ON CONFLICT (SQLite) skips
    the two and the reply counts exactly."""
    ingest(project=project_a, records=source(record("r1"), record("r3")))
    report = ingest(project=project_a, records=source(*(record(f"r{i}") for i in range(5))))
    assert (report.created, report.already_present) == (3, 2)
    assert sorted(Output.objects.values_list("external_id", flat=True)) == ["r0", "r1", "r2", "r3", "r4"]


@pytest.mark.django_db
def test_a_duplicate_written_outside_the_ingest_is_refused(project_a):
    """Only the ingest skips a stored id; any other insert of one fails as a unique constraint does."""
    from django.db import IntegrityError, transaction

    ingest(project=project_a, records=source(record("r1")))
    stored = Output.objects.get(external_id="r1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Output.objects.create(**{f.attname: getattr(stored, f.attname) for f in Output._meta.concrete_fields
                                 if f.attname != "id"})
    assert Output.objects.filter(external_id="r1").count() == 1


@pytest.mark.django_db
def test_the_evaluations_id_lookup_probes_the_key_table_even_on_fresh_statistics(postgres, project_a):
    """With statistics that call the table small (here: 50 keys, freshly analysed, where a scan is the
    planner's choice), looking up output ids by external id must still be one primary-key probe of the
    key table per id, never a scan (that made a re-import of 20,000 records take minutes). It passed in
    the full suite only because earlier tests had bloated the table; alone, the planner scanned."""
    from reviewapp.ingest import evaluation_writer, partitions

    ingest(project=project_a, records=source(*(record(f"r{i}") for i in range(50))))
    with postgres.cursor() as cursor:
        cursor.execute(f"ANALYZE {partitions.KEYS}")
    plans = []
    real_execute = type(postgres.cursor()).execute

    def explain(self, sql, params=None):
        if "unnest" in sql:
            real_execute(self, "EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in self.fetchall()))
        return real_execute(self, sql, params)

    import unittest.mock as mock
    with mock.patch.object(type(postgres.cursor()), "execute", explain):
        found = evaluation_writer._output_ids(project_a.pk, ["r1", "nope"])
    assert set(found) == {"r1"} and found["r1"] == Output.objects.get(external_id="r1").pk
    assert "ingest_outputkey_pkey" in plans[0], plans[0]
    assert "Seq Scan" not in plans[0] and "Hash Join" not in plans[0], plans[0]
    with postgres.cursor() as cursor:  # the planner's settings are back for what follows
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('enable_hashjoin')")
        assert cursor.fetchone() == ("on", "on")


@pytest.mark.django_db
def test_the_admin_cannot_change_an_outputs_identity(project_a, project_b, client):
    """(project, external id) is what the key table and idempotency read: the admin shows them but never
    writes them, while the rest of the output stays editable."""
    from django.contrib.auth import get_user_model

    ingest(project=project_a, records=source(record("r1")))
    stored = Output.objects.get(external_id="r1")
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-1234567")
    client.force_login(admin)
    url = f"/admin/ingest/output/{stored.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "external_id" not in form.fields and "project" not in form.fields
    data = {}
    for name in form.fields:  # the form as the browser would send it back
        value = form[name].value()
        if isinstance(value, datetime):  # the admin's split date and time inputs
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
        elif value is not None:
            data[name] = value
    data.update({"external_id": "renamed", "project": project_b.pk, "category": "edited"})
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    stored.refresh_from_db()
    assert (stored.external_id, stored.project_id, stored.category) == ("r1", project_a.pk, "edited")
    ingest(project=project_a, records=source(record("r1")))  # the key still names it: skipped, not doubled
    assert Output.objects.filter(project=project_a, external_id="r1").count() == 1

"""Snapshots: the rows and their field mapping, the filters, determinism, as-of reads and
interrupted builds."""
from __future__ import annotations

import hashlib

import pytest

from reviewapp.audits.models import AuditItem
from reviewapp.exports import actions
from reviewapp.exports.formats import FORMATS
from reviewapp.exports.models import Snapshot
from reviewapp.exports.selection import EmptySelection, Filters, SelectionError
from reviewapp.review import actions as review
from tests.helpers import CORRECTED, RULING, by_external_id, cut, rows_of


@pytest.mark.django_db
def test_rows_carry_the_final_label_agreement_sampling_and_source(project_a, labelled, lead):
    snapshot = cut(project_a, user=lead)
    rows = by_external_id(rows_of(snapshot))
    assert len(rows) == labelled["size"] - 1  # the disputed item waits for adjudication
    assert labelled["disputed"].output.external_id not in rows

    corrected = rows[labelled["corrected"].output.external_id]
    assert corrected["expected_output"] == corrected["corrected_output"] == CORRECTED["corrected_output"]
    assert corrected["input"] == [{"role": "system", "content": "Be brief."},
                                  {"role": "user", "content": "When is my refund?"}]  # developer -> system
    assert corrected["context"] == ["Refunds take 5-7 days.", "Policy v2"]
    assert corrected["error_categories"] == ["factual_error", "tone"] and corrected["harm"] == "near_miss"
    assert corrected["source"]["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert corrected["source"]["span_id"] == "b7ad6b7169203331"
    item = labelled["corrected"]
    assert corrected["sampling"]["inclusion_probability"] == item.inclusion_probability
    # The final weight N_h / r_h: the stratum's outputs over its items with a final label (the disputed
    # item is not one), as the metrics page weighs them (tests/exports/test_weights.py).
    finals = AuditItem.objects.filter(run=item.run, stratum=item.stratum, gold__isnull=False).count()
    assert corrected["sampling"]["weight"] == item.run.populations[item.stratum] / finals
    assert corrected["sampling"]["stratum_final"] == finals and corrected["sampling"]["week_complete"] is False
    assert corrected["sampling"]["stratum"] == item.stratum and corrected["sampling"]["split"] == "week_2026_47"
    assert corrected["agreement"] == {"n_reviewers": 1, "agreed": True, "share": 1.0, "method": "single"}
    assert corrected["reviewers"] == ["alice"]

    failed = rows[labelled["failed"].output.external_id]
    assert failed["verdict"] == "failure" and failed["expected_output"] is None and failed["corrected_output"] is None
    fine = rows[labelled["fine"].output.external_id]
    assert fine["verdict"] == "success" and fine["expected_output"] == fine["output"]

    ruled = rows[labelled["adjudicated"].output.external_id]
    assert ruled["verdict"] == "partial" and ruled["expected_output"] == RULING["corrected_output"]
    assert ruled["agreement"] == {"n_reviewers": 2, "agreed": False, "share": 0.0, "method": "adjudicated"}
    assert ruled["reviewers"] == ["alice", "bob"]

    manifest = snapshot.manifest
    assert manifest["counts"]["rows"] == len(rows) and manifest["created_by"] == "lead"
    assert snapshot.rows_total == snapshot.rows_done == len(rows)  # the progress bar's total was the rows'
    assert manifest["counts"]["by_verdict"]["failure"] == 2 and manifest["counts"]["with_corrected_output"] == 2
    assert manifest["rubric_version"] == 1 and manifest["schema_version"] == 2
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((snapshot.directory / name).read_bytes()).hexdigest() == entry["sha256"]
    assert {"jsonl/evalset.jsonl", "hf/README.md", "hf.zip", "inspect/inspect.jsonl"} <= set(manifest["files"])


@pytest.mark.django_db
def test_filters_select_rows(project_a, labelled):
    def ids(**filters):
        return set(by_external_id(rows_of(cut(project_a, filters, ["jsonl"]))))

    every = ids()
    assert ids(verdicts=["failure"]) == {labelled[k].output.external_id for k in ("corrected", "failed")}
    assert ids(error_categories=["tone", "format"]) == {labelled[k].output.external_id
                                                        for k in ("corrected", "adjudicated")}
    assert ids(corrected_only=True) == {labelled[k].output.external_id for k in ("corrected", "adjudicated")}
    assert ids(agreement="settled") == {labelled["adjudicated"].output.external_id}
    assert ids(min_agreement=0.5) == every - {labelled["adjudicated"].output.external_id}
    assert ids(weeks=["2026-W47"]) == every
    with pytest.raises(EmptySelection):  # a week with no final label: nothing to cut
        ids(weeks=["2026-W46"])
    stratum = labelled["corrected"].stratum
    assert ids(strata=[stratum]) == {i for i in every if AuditItem.objects.get(output__external_id=i).stratum == stratum}
    pseudonymous = rows_of(cut(project_a, {"pseudonymise": True}, ["jsonl"]))
    assert all(r.startswith("reviewer-") and "alice" not in r for row in pseudonymous for r in row["reviewers"])


@pytest.mark.parametrize(("filters", "named"), [({"verdicts": ["bad"]}, "verdicts"), ({"weeks": ["47"]}, "weeks"),
                                                ({"min_agreement": 2}, "min_agreement"), ({"colour": "red"}, "colour"),
                                                ({"agreement": "most"}, "agreement"),
                                                ({"corrected_only": "yes"}, "corrected_only")])
def test_bad_filters_are_named(filters, named):
    with pytest.raises(SelectionError, match=named):
        Filters.parse(filters)


@pytest.mark.django_db
def test_the_same_snapshot_renders_byte_identical_files(project_a, labelled, tmp_path):
    snapshot = cut(project_a)
    for name in FORMATS:
        first = actions.render(snapshot, name, tmp_path / "a" / name)
        second = actions.render(snapshot, name, tmp_path / "b" / name)
        for a, b in zip(first, second, strict=True):
            assert a.read_bytes() == b.read_bytes(), name
            built = snapshot.directory / name / a.relative_to(tmp_path / "a" / name)
            if built.exists():
                assert built.read_bytes() == a.read_bytes(), name


@pytest.mark.django_db
def test_a_rebuild_reads_labels_as_of_the_snapshot(project_a, labelled, lead):
    snapshot = cut(project_a, formats=["jsonl", "hf"])
    before = snapshot.manifest["files"]
    # Later changes: a ruling revised, a new label on the disputed item's adjudication.
    review.adjudicate(item=AuditItem.objects.get(pk=labelled["adjudicated"].pk), user=lead, data=CORRECTED)
    review.adjudicate(item=AuditItem.objects.get(pk=labelled["disputed"].pk), user=lead, data=CORRECTED)
    Snapshot.objects.filter(pk=snapshot.pk).update(status=Snapshot.Status.QUEUED)  # as if its worker died
    snapshot.refresh_from_db()
    rebuilt = actions.build(snapshot)
    assert rebuilt.manifest["files"] == before
    assert cut(project_a, formats=["jsonl"]).manifest["counts"]["rows"] == snapshot.manifest["counts"]["rows"] + 1


@pytest.mark.django_db
def test_an_interrupted_build_leaves_no_snapshot_and_can_be_run_again(project_a, labelled, monkeypatch):
    snapshot = actions.create(project=project_a, filters={}, formats=["jsonl", "inspect"], queue=False)
    original = FORMATS["inspect"]

    def crash(rows, out, ctx):
        next(iter(rows))
        (out / "inspect.jsonl").write_text("half")
        raise MemoryError("the worker died")

    monkeypatch.setitem(FORMATS, "inspect", (original[0], crash))
    with pytest.raises(MemoryError):
        actions.build(snapshot)
    snapshot.refresh_from_db()
    assert snapshot.status == "failed" and "worker died" in snapshot.error
    assert not snapshot.directory.exists() and not list(snapshot.directory.parent.glob("*.partial*"))
    monkeypatch.setitem(FORMATS, "inspect", original)
    snapshot = actions.build(snapshot)
    assert snapshot.status == "done" and (snapshot.directory / "inspect" / "inspect.jsonl").stat().st_size > 100


@pytest.mark.django_db
def test_versions_count_up_per_project(project_a, project_b, labelled):
    assert [cut(project_a, formats=["jsonl"]).version for _ in range(3)] == [1, 2, 3]
    assert Snapshot.create_next(project=project_b, formats=["jsonl"]).version == 1  # project_b has no label to cut


@pytest.mark.django_db
def test_a_verdict_stored_as_a_list_is_counted_not_a_crash(project_a, labelled):
    """Answers saved under an older rubric may hold a list where the verdict is: the manifest counts it
    under its text (the counts are tallied by a tuple per line, which a list would make unhashable)."""
    from reviewapp.review.models import GoldRevision

    item = labelled["corrected"]
    GoldRevision.objects.filter(gold__item=item).update(answers={**CORRECTED, "verdict": ["failure"]})
    snapshot = cut(project_a, formats=["jsonl"])
    counts = snapshot.manifest["counts"]
    assert snapshot.status == Snapshot.Status.DONE and sum(counts["by_verdict"].values()) == counts["rows"]
    assert any("failure" in verdict and verdict != "failure" for verdict in counts["by_verdict"])

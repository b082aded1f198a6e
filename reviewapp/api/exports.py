"""Ground-truth exports over HTTP, for QA leads and admins: cut a snapshot, poll it, download its files."""
from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from reviewapp.exports import actions
from reviewapp.exports.formats import FORMATS
from reviewapp.exports.models import Snapshot
from reviewapp.exports.selection import SelectionError
from reviewapp.projects.access import lead_project_for

from .auth import PERSON
from .openapi import errors
from .schemas import IsoDateTime, ItemId

router = Router(tags=["exports"], auth=PERSON)


class ExportIn(Schema):
    filters: dict[str, Any] = Field(default_factory=dict, description=(
        "weeks, strata, verdicts, error_categories (lists), agreement ('any' | 'settled'), min_agreement "
        "(0..1), corrected_only, pseudonymise (booleans)"))
    formats: list[str] = Field(default_factory=lambda: list(FORMATS), description=", ".join(FORMATS))


class SnapshotOut(Schema):
    version: int
    status: str
    rows_done: int
    rows_total: int | None
    as_of: IsoDateTime
    error: str
    files: dict[str, str] = Field(description="format -> download path, once built")
    manifest: dict[str, Any] | None


_FILE_DOC = {"responses": {"200": {
    "description": "The file, as an attachment (jsonl, csv, parquet...; hf: a zip; manifest: manifest.json)",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}}


def _out(snapshot: Snapshot) -> dict[str, Any]:
    base = f"/api/v1/projects/{snapshot.project.slug}/exports/{snapshot.version}/files"
    built = snapshot.status == Snapshot.Status.DONE
    return {"version": snapshot.version, "status": snapshot.status, "rows_done": snapshot.rows_done,
            "rows_total": snapshot.rows_total, "as_of": snapshot.as_of, "error": snapshot.error,
            "files": {name: f"{base}/{name}" for name in [*snapshot.formats, "manifest"]} if built else {},
            "manifest": snapshot.manifest}


@router.post("/projects/{project}/exports", response={202: SnapshotOut, **errors(400)},
             operation_id="createExport", summary="Cut a new ground-truth snapshot")
def create_export(request: HttpRequest, project: str, body: ExportIn):
    """Queues the build (a job with a worker; in-process otherwise) and returns the new version."""
    target = lead_project_for(request, project, doing="export")
    try:
        snapshot = actions.create(project=target, filters=body.filters, formats=body.formats, user=request.user)
    except SelectionError as exc:
        return Status(400, {"detail": str(exc)})
    snapshot.refresh_from_db()
    return Status(202, _out(snapshot))


@router.get("/projects/{project}/exports/{version}", response={200: SnapshotOut, **errors(400)},
            operation_id="readExport", summary="A snapshot's status, progress and manifest")
def read_export(request: HttpRequest, project: str, version: ItemId):
    target = lead_project_for(request, project, doing="export")
    snapshot = Snapshot.objects.select_related("project").filter(project=target, version=version).first()
    if snapshot is None:
        return Status(404, {"detail": f"no snapshot v{version}"})
    return Status(200, _out(snapshot))


@router.get("/projects/{project}/exports/{version}/files/{name}", response=errors(400),
            operation_id="downloadExportFile", openapi_extra=_FILE_DOC,
            summary="Download a built snapshot's file (hf: a zip of the dataset folder; manifest: manifest.json)")
def download_export(request: HttpRequest, project: str, version: ItemId, name: str):
    target = lead_project_for(request, project, doing="export")
    snapshot = Snapshot.objects.filter(project=target, version=version, status=Snapshot.Status.DONE).first()
    if snapshot is None or (name != "manifest" and name not in snapshot.formats):
        return Status(404, {"detail": f"no built snapshot v{version} with {name!r}"})
    path = actions.download_path(snapshot, name)
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{snapshot.name}-{path.name}")

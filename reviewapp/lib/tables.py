"""What the product's django-tables2 lists share: CSV export of the whole filtered list, and
paging that can skip counting what is already known."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django_tables2.export import TableExport


def exporting(request: HttpRequest) -> bool:
    return request.GET.get("_export") == "csv"


def export_response(request: HttpRequest, table, name: str) -> HttpResponse | None:
    """CSV export of a table when ?_export=csv is asked for (the whole filtered list, not a page)."""
    if exporting(request):
        return TableExport("csv", table).response(f"{name}.csv")
    return None


class KnownCountPaginator(Paginator):
    """A paginator told the number of rows, when the caller already knows it (an unfiltered run's
    size is on the run): counting 100,000 items costs more than rendering the page."""

    def __init__(self, object_list, per_page, *args, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        if count is not None:
            self.__dict__["count"] = count  # fills the cached_property

"""What the product's django-tables2 lists share: CSV export of the whole filtered list, and
paging that can skip counting what is already known."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django_tables2.export import TableExport


def exporting(request: HttpRequest) -> bool:
    return request.GET.get("_export") == "csv"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value):
    """A cell a spreadsheet will not run: text that starts like a formula (=, +, -, @, tab, CR) gets a
    leading apostrophe (OWASP's CSV-injection advice). Users type rubric labels, notes and names, and
    model outputs are untrusted; numbers, including negative ones, are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


class InertTableExport(TableExport):
    """django-tables2's export with every cell through inert_cell."""

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        for i, row in enumerate(list(dataset)):
            dataset[i] = tuple(inert_cell(cell) for cell in row)
        return dataset


def export_response(request: HttpRequest, table, name: str) -> HttpResponse | None:
    """CSV export of a table when ?_export=csv is asked for (the whole filtered list, not a page),
    with formula-like text made inert."""
    if exporting(request):
        return InertTableExport("csv", table).response(f"{name}.csv")
    return None


class KnownCountPaginator(Paginator):
    """A paginator told the number of rows, when the caller already knows it (an unfiltered run's
    size is on the run): counting 100,000 items costs more than rendering the page."""

    def __init__(self, object_list, per_page, *args, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        if count is not None:
            self.__dict__["count"] = count  # fills the cached_property

"""CSV downloads never carry a live formula (CSV injection): text that starts like one is made inert."""
from __future__ import annotations

import django_tables2 as tables
from django.test import RequestFactory

from reviewapp.lib.tables import export_response, inert_cell


class Notes(tables.Table):
    who = tables.Column()
    note = tables.Column()
    score = tables.Column()


def test_formula_like_text_gets_an_apostrophe_and_numbers_stay_numbers():
    assert inert_cell('=HYPERLINK("http://evil")') == """'=HYPERLINK("http://evil")"""
    for text in ("+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"):
        assert inert_cell(text) == "'" + text
    assert inert_cell("-0.25") == "-0.25" and inert_cell(-3) == -3 and inert_cell("fine") == "fine"


def test_every_table_download_is_inert():
    rows = [{"who": "=cmd|' /C calc'!A0", "note": "ok", "score": "-1.5"}]
    response = export_response(RequestFactory().get("/?_export=csv"), Notes(rows), "notes")
    text = response.content.decode()
    assert "'=cmd|' /C calc'!A0" in text and ",-1.5" in text and "\n=" not in text

"""Every form needs its CSRF token, and no GET changes stored state: both generated from the URL
conf, so a new view cannot escape them. (Cached metrics, RunMetrics, are recomputed on read in
the embedded mode: a cache, not state, and left out of the comparison; so are the alerts that a
(re)computation fires, once per week, metric and state, whatever triggered it.)"""
from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.helpers import kwargs_for, reviewapp_urls

CACHES = {"metrics.RunMetrics", "metrics.Alert", "metrics.AlertAttempt", "sessions.Session"}


def state() -> dict[str, list]:
    found = {}
    for model in apps.get_models():
        label = f"{model._meta.app_label}.{model.__name__}"
        if label not in CACHES and model._meta.managed:
            found[label] = sorted(map(repr, model.objects.values_list()))
    return found


@pytest.mark.django_db
def test_no_page_changes_anything_on_get(hostile):
    clients = {}
    for who in ("lead", "reviewer"):  # logging in is a change (last login, the access log): done first
        clients[who] = Client()
        clients[who].force_login(hostile[who])
    # The URLs' objects (a token, an invitation) are made before the comparison: making them is set-up.
    urls = [reverse(f"reviewapp:{name}", kwargs=kwargs_for(name, hostile)) for name in reviewapp_urls() if name != "logout"]
    before = state()
    for client in clients.values():
        for url in urls:
            client.get(url)
    after = state()
    changed = [label for label in before if before[label] != after[label]]
    assert changed == []


@pytest.mark.django_db
def test_every_post_needs_the_csrf_token(hostile):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hostile["lead"])
    posted = 0
    for name in reviewapp_urls():
        url = reverse(f"reviewapp:{name}", kwargs=kwargs_for(name, hostile))
        response = client.post(url, {"anything": "1"})
        if response.status_code == 405:
            continue  # this URL takes no POST
        posted += 1
        assert response.status_code == 403, (name, response.status_code)
    assert posted >= 10


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/p/support/review/items/99999999999999999999999/",
                                  "/p/support/audits/99999999999999999999-W1/",
                                  "/p/support/exports/v99999999999999999999/",
                                  "/api/v1/projects/support/review/items/99999999999999999999999"])
def test_ids_past_64_bits_are_not_found_not_a_server_error(client, lead, path):
    client.force_login(lead)
    assert client.get(path).status_code in (400, 404)

"""Login attempts are rate-limited (django-axes): five wrong passwords for one username from one
address lock that pair out, even with the right password, while others still log in."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.helpers import make_user

PASSWORD = "pw-for-tests-1"


def attempt(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_five_failures_lock_the_username_from_that_address(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    make_user("alice")
    make_user("bob")
    for _ in range(4):
        assert attempt(client, "alice", "wrong").status_code == 200  # the form again, with an error
    assert attempt(client, "alice", PASSWORD).status_code == 302  # a success resets the count
    client.logout()
    for _ in range(5):
        attempt(client, "alice", "wrong")
    locked = attempt(client, "alice", PASSWORD)
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    assert attempt(client, "alice", PASSWORD, ip="10.0.0.2").status_code == 302  # another address
    client.logout()
    assert attempt(client, "bob", PASSWORD).status_code == 302  # another user

"""Small builders shared by tests."""
from __future__ import annotations


def make_user(username: str, project=None, role: str = "reviewer"):
    from django.contrib.auth import get_user_model

    from reviewapp.projects.models import Membership

    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-1")
    if project is not None:
        Membership.objects.create(user=user, project=project, role=role)
    return user


def record(external_id: str = "t-1", **overrides) -> dict:
    """A valid canonical record (the issue's example), with overrides."""
    base = {
        "external_id": external_id,
        "occurred_at": "2026-11-20T10:00:00Z",
        "input": [{"role": "user", "content": "Can I get a refund?"}],
        "output": "Yes, within 30 days.",
        "category": "billing",
        "risk_tier": "low",
    }
    base.update(overrides)
    return base


def run_in_threads(work, args_list: list[tuple]) -> list:
    """Run work(*args) for each args at once, each thread on its own database connection;
    return the results in order, or raise the first thread's error here, in the test."""
    import threading

    from django.db import connection

    results: list = [None] * len(args_list)
    errors: list[BaseException] = []

    def target(i: int, args: tuple) -> None:
        try:
            results[i] = work(*args)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i, args)) for i, args in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results

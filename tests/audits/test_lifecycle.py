"""A week's lifecycle: future and empty weeks are refused, a week in progress or in its grace
period for late arrivals is drawn only early and on purpose, then any time; the run says how many
outputs of its week arrived after the draw. Each rule through the domain function, the Weekly
audits page, `manage.py draw_audit`, the API and the scheduler, all at a fixed "now"."""
from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reviewapp.audits import actions, lifecycle, tasks
from reviewapp.audits.lifecycle import State
from reviewapp.audits.models import AuditRun, SamplingPlan
from reviewapp.ingest.models import Output
from reviewapp.lib.weeks import IsoWeek
from reviewapp.projects.models import UserToken
from tests.helpers import MONDAY, STRATA, WEEK, add_outputs

END = MONDAY + timedelta(days=7)  # W47 ends Monday 2026-11-23 00:00 UTC
BEFORE = MONDAY - timedelta(days=6)  # W46: W47 has not started
DURING = MONDAY + timedelta(days=4)  # Friday of W47
IN_GRACE = END + timedelta(hours=3)
READY = END + timedelta(hours=6)  # the default grace is over, to the second
LATER = END + timedelta(days=2)


@contextmanager
def at(moment: datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def status(project, week=WEEK, now=LATER):
    return lifecycle.week_status(project, week, now=now)


@pytest.fixture
def week_with_outputs(project_a, plan):
    add_outputs(project_a, {("medical", "high"): 30, ("billing", "medium"): 200})
    return project_a


# -- the domain function ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_week_moves_from_future_to_open_to_grace_to_ready(week_with_outputs):
    project = week_with_outputs
    assert [status(project, now=n).state for n in (BEFORE, MONDAY, DURING, END, IN_GRACE, READY - timedelta(seconds=1),
                                                   READY, LATER)] == [
        State.FUTURE, State.OPEN, State.OPEN, State.IN_GRACE, State.IN_GRACE, State.IN_GRACE, State.READY, State.READY]
    grace = status(project, now=IN_GRACE)
    assert grace.early_only and not grace.drawable and grace.ready_at == READY
    assert grace.message == ("2026-W47 ended Mon 2026-11-23 00:00 UTC, but outputs may still arrive until "
                             "Mon 2026-11-23 06:00 UTC (grace period for late arrivals: 6 hours). Drawing it now is "
                             "an early draw: outputs of this week arriving after the draw are outside its frame and "
                             "will not be audited.")
    assert "is still in progress: it ends Mon 2026-11-23 00:00 UTC" in status(project, now=DURING).message
    assert status(project, now=BEFORE).message == (
        "2026-W47 has not started yet (it starts Mon 2026-11-16 00:00 UTC): there is nothing to draw.")


@pytest.mark.django_db
def test_a_future_week_is_refused_even_early(week_with_outputs):
    for early in (False, True):
        with pytest.raises(lifecycle.DrawRefused, match="has not started yet") as refused:
            actions.draw_audit(project=week_with_outputs, week=WEEK, now=BEFORE, early=early)
        assert refused.value.reason == State.FUTURE
    assert not AuditRun.objects.exists()


@pytest.mark.django_db
def test_a_next_years_week_is_future_too(week_with_outputs):
    assert status(week_with_outputs, week=IsoWeek(2027, 47)).state == State.FUTURE


@pytest.mark.django_db
@pytest.mark.parametrize("now", [DURING, IN_GRACE], ids=["in progress", "in grace"])
def test_an_open_or_grace_week_is_drawn_only_early_and_the_run_says_so(week_with_outputs, now):
    with pytest.raises(lifecycle.DrawRefused, match="Drawing it now is an early draw") as refused:
        actions.draw_audit(project=week_with_outputs, week=WEEK, now=now)
    assert refused.value.reason in lifecycle.EARLY_ONLY
    assert not AuditRun.objects.exists()
    run, created = actions.draw_audit(project=week_with_outputs, week=WEEK, now=now, early=True)
    assert created and run.drawn_early and run.created_at == now and run.size > 0


@pytest.mark.django_db
def test_after_the_grace_period_a_week_is_drawn_and_not_early(week_with_outputs):
    run, created = actions.draw_audit(project=week_with_outputs, week=WEEK, now=READY)
    assert created and not run.drawn_early and run.population == 230
    run, created = actions.draw_audit(project=week_with_outputs, week=WEEK, now=LATER, early=True)
    assert not created and not run.drawn_early  # early permits an early draw, it does not mark a late one


@pytest.mark.django_db
def test_an_empty_week_is_refused_whenever_and_however_asked(project_a, plan):
    for now in (DURING, IN_GRACE, LATER):
        with pytest.raises(lifecycle.DrawRefused, match="has no outputs") as refused:
            actions.draw_audit(project=project_a, week=WEEK, now=now, early=True)
        assert refused.value.reason == State.EMPTY
    assert status(project_a, now=IN_GRACE).message == "2026-W47 has no outputs yet: there is nothing to audit."
    assert status(project_a).message == "2026-W47 has no outputs: there is nothing to audit."


@pytest.mark.django_db
def test_a_drawn_week_says_so_and_a_second_draw_returns_its_run(week_with_outputs):
    run, _ = actions.draw_audit(project=week_with_outputs, week=WEEK, now=READY)
    drawn = status(week_with_outputs)
    assert drawn.state == State.DRAWN and drawn.run == run
    assert drawn.message == f"2026-W47 is already drawn: {run.size} of 230 outputs, on Mon 2026-11-23 06:00 UTC."
    lifecycle.check_drawable(drawn)  # no refusal: drawing it again is a no-op
    assert actions.draw_audit(project=week_with_outputs, week=WEEK, now=LATER) == (run, False)


@pytest.mark.django_db
def test_the_grace_period_is_the_plans_and_the_week_ends_in_its_time_zone(week_with_outputs, plan):
    plan.time_zone, plan.grace_hours = "Europe/Berlin", 2  # W47 ends Sunday 23:00 UTC there
    plan.save()
    berlin_end = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert status(week_with_outputs, now=berlin_end - timedelta(seconds=1)).state == State.OPEN
    assert status(week_with_outputs, now=berlin_end + timedelta(hours=1)).state == State.IN_GRACE
    assert status(week_with_outputs, now=berlin_end + timedelta(hours=2)).state == State.READY
    assert "until Mon 2026-11-23 02:00 Europe/Berlin (grace period for late arrivals: 2 hours)" in status(
        week_with_outputs, now=berlin_end).message
    plan.grace_hours = 0
    plan.save()
    assert status(week_with_outputs, now=berlin_end).state == State.READY


@pytest.mark.django_db
def test_without_a_plan_nothing_is_drawn(project_a):
    with pytest.raises(lifecycle.NoPlan):
        lifecycle.week_status(project_a, WEEK)
    with pytest.raises(actions.NoPlan):
        actions.draw_audit(project=project_a, week=WEEK)


def test_the_due_week_is_the_latest_past_its_grace():
    utc = SamplingPlan(time_zone="UTC", grace_hours=6)
    assert lifecycle.latest_due_week(utc, END + timedelta(hours=5)) == WEEK.shift(-1)
    assert lifecycle.latest_due_week(utc, READY) == WEEK
    assert lifecycle.latest_due_week(utc, END + timedelta(days=7, hours=5)) == WEEK  # until W48's grace is over
    assert lifecycle.latest_due_week(utc, END + timedelta(days=7, hours=6)) == WEEK.shift(1)
    week_long = SamplingPlan(time_zone="UTC", grace_hours=168)
    assert lifecycle.latest_due_week(week_long, END + timedelta(days=6)) == WEEK.shift(-1)
    assert lifecycle.latest_due_week(week_long, END + timedelta(days=7)) == WEEK


# -- late arrivals ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_outputs_arriving_after_the_draw_are_counted_as_outside_its_frame(week_with_outputs, django_assert_num_queries):
    project = week_with_outputs
    run, _ = actions.draw_audit(project=project, week=WEEK, now=DURING, early=True)
    assert lifecycle.late_arrivals(run) == 0
    add_outputs(project, {("billing", "medium"): 12}, start=DURING, prefix="late")  # inside W47
    add_outputs(project, {("billing", "medium"): 5}, start=END, prefix="next")  # W48: not this run's business
    add_outputs(project, {("billing", "medium"): 3}, prefix="o")  # already stored ids: nothing new
    with django_assert_num_queries(1):
        assert lifecycle.late_arrivals(run) == 12
    assert run.items.filter(output__external_id__startswith="late").count() == 0


@pytest.mark.django_db
def test_late_arrivals_do_not_depend_on_the_ingest_timestamp(week_with_outputs):
    """A draw at a pretended time after the outputs were stored (the demo's --now) sees them all:
    none of them is late, though each has an ingested_at after the run's created_at."""
    run, _ = actions.draw_audit(project=week_with_outputs, week=WEEK, now=READY)
    assert Output.objects.filter(pk__in=run.items.values("output_id"), ingested_at__gt=run.created_at).exists()
    assert lifecycle.late_arrivals(run) == 0


@pytest.mark.django_db(transaction=True)
def test_outputs_stored_while_a_week_is_drawn_are_in_its_frame_or_late_never_both(postgres, project_a, monkeypatch):
    """The draw counts and selects in one snapshot: outputs another connection stores between the
    two are neither counted nor drawn, and late_arrivals counts them."""
    from tests.helpers import run_in_threads

    SamplingPlan(project=project_a, strata=STRATA, goal="margin", margin=0.05, expected_rate=0.5).save_as_new_version()
    add_outputs(project_a, {("billing", "medium"): 100})
    figures = actions.planning.figures

    def figures_while_ingest_runs(plan, counts, **options):
        run_in_threads(lambda: add_outputs(project_a, {("billing", "medium"): 900}, prefix="meanwhile"), [()])
        return figures(plan, counts, **options)

    monkeypatch.setattr(actions.planning, "figures", figures_while_ingest_runs)
    postgres.ensure_connection()
    isolation = postgres.connection.isolation_level
    run, _ = actions.draw_audit(project=project_a, week=WEEK, now=DURING, early=True)
    assert postgres.connection.isolation_level == isolation  # the connection's own level again, for what follows
    assert run.population == 100
    assert not run.items.filter(output__external_id__startswith="meanwhile").exists()
    assert lifecycle.late_arrivals(run) == 900


# -- the Weekly audits page ------------------------------------------------------------------


def draw_post(client, week, *, follow=True, **extra):
    """The Weekly audits page after the POST, with its message. A job runs when its on-commit
    capture ends: those tests read the page after it."""
    return client.post(reverse("reviewapp:run-draw", args=["support"]), {"week": str(week), **extra}, follow=follow)


def run_list_page(client) -> str:
    return client.get(reverse("reviewapp:run-list", args=["support"])).content.decode()


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


@pytest.mark.django_db
def test_the_page_offers_draw_for_ready_weeks_and_asks_to_confirm_early_ones(lead_client, project_a, plan):
    add_outputs(project_a, {("billing", "medium"): 40})  # W47
    add_outputs(project_a, {("billing", "medium"): 40}, start=MONDAY - timedelta(days=7), prefix="w46-")
    add_outputs(project_a, {("billing", "medium"): 10}, start=END, prefix="w48-")
    with at(IN_GRACE):  # Monday 03:00 of W48
        html = lead_client.get(reverse("reviewapp:run-list", args=["support"])).content.decode()
    rows = {row.split("</td>")[0].split("<td>")[-1].split(" ")[0]: row for row in html.split("<tr>")[2:]}
    assert "in progress" in rows["2026-W48"] and "Draw 2026-W48 early" in rows["2026-W48"]
    assert "in its grace period for late arrivals until 2026-11-23 06:00 UTC" in rows["2026-W47"]
    assert 'name="early" value="1" required' in rows["2026-W47"] and "Draw 2026-W47 early" in rows["2026-W47"]
    assert ("Draw before the week's outputs are all in: outputs arriving later will not be audited"
            in rows["2026-W47"])
    assert "Draw 2026-W46</button>" in rows["2026-W46"] and 'name="early"' not in rows["2026-W46"]
    assert "no outputs: nothing to draw" in rows["2026-W45"] and "<button" not in rows["2026-W45"]


@pytest.mark.django_db
def test_a_grace_week_is_refused_without_the_confirmation_and_drawn_early_with_it(
        lead_client, week_with_outputs, django_capture_on_commit_callbacks):
    with at(IN_GRACE):
        page = draw_post(lead_client, WEEK).content.decode()
        assert not AuditRun.objects.exists()
        assert "outputs may still arrive until Mon 2026-11-23 06:00 UTC" in page
        assert "To draw it anyway, tick the confirmation." in page
        with django_capture_on_commit_callbacks(execute=True):
            draw_post(lead_client, WEEK, early="1", follow=False)
        page = run_list_page(lead_client)
    run = AuditRun.objects.get()
    assert run.drawn_early and run.created_at == IN_GRACE
    assert "Drawing the audit of 2026-W47 early." in page
    assert 'drawn</span> 2026-11-23 03:00 <span class="badge warn"' in page and "early</span>" in page


@pytest.mark.django_db
@pytest.mark.parametrize(("now", "needs"), [(DURING, "still in progress"), (BEFORE, "has not started yet")])
def test_the_current_week_needs_the_confirmation_and_a_future_one_is_refused(lead_client, week_with_outputs,
                                                                            django_capture_on_commit_callbacks,
                                                                            now, needs):
    with at(now):
        page = draw_post(lead_client, WEEK).content.decode()
        assert needs in page and not AuditRun.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            draw_post(lead_client, WEEK, early="1", follow=False)
    assert AuditRun.objects.exists() == (now == DURING)


@pytest.mark.django_db
def test_an_empty_week_is_refused_with_a_message(lead_client, project_a, plan, django_capture_on_commit_callbacks):
    with at(LATER), django_capture_on_commit_callbacks(execute=True):
        page = draw_post(lead_client, WEEK, early="1").content.decode()
    assert "2026-W47 has no outputs: there is nothing to audit." in page and not AuditRun.objects.exists()


@pytest.mark.django_db
def test_a_ready_week_is_drawn_and_a_drawn_one_is_left_alone(lead_client, week_with_outputs,
                                                             django_capture_on_commit_callbacks):
    with at(READY):
        with django_capture_on_commit_callbacks(execute=True):
            draw_post(lead_client, WEEK, follow=False)
        page = draw_post(lead_client, WEEK).content.decode()
    run = AuditRun.objects.get()
    assert not run.drawn_early
    assert f"2026-W47 is already drawn: {run.size} of 230 outputs" in page


@pytest.mark.django_db
def test_a_week_that_does_not_exist_is_refused(lead_client, week_with_outputs):
    page = draw_post(lead_client, "2026-W54").content.decode()
    assert "&#x27;2026-W54&#x27; is not an ISO week: 2026 has no week 54" in page


@pytest.mark.django_db
def test_the_run_pages_show_the_arrivals_after_the_draw(lead_client, week_with_outputs):
    run, _ = actions.draw_audit(project=week_with_outputs, week=WEEK, now=IN_GRACE, early=True)
    detail = reverse("reviewapp:run-detail", args=["support", WEEK.year, WEEK.week])
    assert "No output of this week has arrived since the draw" in lead_client.get(detail).content.decode()
    add_outputs(week_with_outputs, {("billing", "medium"): 7}, start=DURING, prefix="late")
    page = lead_client.get(detail).content.decode()
    assert "7 outputs of this week arrived after the draw: they are outside this audit's frame and not audited." in page
    assert "<strong>early</strong>: before the week's grace period for late arrivals was over" in page
    with at(LATER):
        listing = run_list_page(lead_client)
    assert "7 outputs arrived after the draw: outside its frame, not audited" in listing


# -- manage.py draw_audit --------------------------------------------------------------------


def command(*args) -> str:
    out = io.StringIO()
    call_command("draw_audit", "--project", "support", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_refuses_future_and_empty_weeks_and_grace_without_early(project_a, plan):
    with at(LATER), pytest.raises(CommandError, match="2026-W47 has no outputs: there is nothing to audit"):
        command("--week", str(WEEK), "--early")
    add_outputs(project_a, {("billing", "medium"): 50})
    with at(BEFORE), pytest.raises(CommandError, match="has not started yet"):
        command("--week", str(WEEK), "--early")
    with at(IN_GRACE), pytest.raises(CommandError, match=r"grace period for late arrivals: 6 hours\).*Pass --early"):
        command("--week", str(WEEK))
    assert not AuditRun.objects.exists()
    with at(IN_GRACE):
        out = command("--week", str(WEEK), "--early")
    assert "Drew support 2026-W47: " in out and ", early" in out and "outside its frame" in out
    add_outputs(project_a, {("billing", "medium"): 4}, start=DURING, prefix="late")
    with at(LATER):
        out = command("--week", str(WEEK))
    assert "Already drawn: support 2026-W47" in out
    assert "4 outputs of this week arrived after the draw: outside its frame, not audited." in out


@pytest.mark.django_db
def test_the_command_draws_the_due_week_by_default(project_a, plan):
    add_outputs(project_a, {("billing", "medium"): 50})
    with at(IN_GRACE), pytest.raises(CommandError, match="2026-W46 has no outputs"):
        command()  # W47 is not due yet: the default is W46
    with at(READY):
        out = command()
    assert "Drew support 2026-W47: " in out and "early" not in out


# -- the API ---------------------------------------------------------------------------------


def api_draw(client, token, body) -> tuple[int, dict]:
    response = client.post("/api/v1/projects/support/audits", data=orjson.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code, response.json()


@pytest.fixture
def lead_token(lead):
    return UserToken.issue(user=lead, name="t")[1]


@pytest.mark.django_db
def test_the_api_draws_a_ready_week_once(client, week_with_outputs, lead_token, lead):
    with at(READY):
        status_code, body = api_draw(client, lead_token, {"week": "2026-W47"})
    run = AuditRun.objects.get()
    assert status_code == 201 and run.requested_by == lead
    assert body == {"week": "2026-W47", "size": run.size, "population": 230, "required": run.required,
                    "drawn_early": False, "created": True, "created_at": READY.isoformat(), "late_arrivals": 0,
                    "url": "/p/support/audits/2026-W47/"}
    add_outputs(week_with_outputs, {("billing", "medium"): 3}, start=DURING, prefix="late")
    status_code, again = api_draw(client, lead_token, {"week": "2026-W47", "early": True})
    assert status_code == 200 and again == body | {"created": False, "late_arrivals": 3}


@pytest.mark.django_db
@pytest.mark.parametrize(("now", "reason"), [(DURING, "open"), (IN_GRACE, "in_grace")])
def test_the_api_refuses_an_early_draw_unless_asked_and_then_records_it(client, week_with_outputs, lead_token, now,
                                                                       reason):
    with at(now):
        status_code, body = api_draw(client, lead_token, {"week": "2026-W47"})
        assert (status_code, body["reason"], body["drawable_from"]) == (409, reason, READY.isoformat())
        assert body["detail"].endswith('Send "early": true to draw it anyway.')
        assert not AuditRun.objects.exists()
        status_code, body = api_draw(client, lead_token, {"week": "2026-W47", "early": True})
    assert status_code == 201 and body["drawn_early"] is True and body["created_at"] == now.isoformat()


@pytest.mark.django_db
def test_the_api_refuses_future_empty_and_malformed_weeks(client, project_a, plan, lead_token):
    with at(LATER):
        assert api_draw(client, lead_token, {"week": "2026-W47", "early": True}) == (409, {
            "detail": "2026-W47 has no outputs: there is nothing to audit.", "reason": "empty", "drawable_from": None})
        status_code, body = api_draw(client, lead_token, {"week": "2026-W50", "early": True})
        assert (status_code, body["reason"]) == (409, "future") and "has not started yet" in body["detail"]
        assert api_draw(client, lead_token, {"week": "2026-W99"}) == (
            400, {"detail": "'2026-W99' is not an ISO week: 2026 has no week 99"})
        assert api_draw(client, lead_token, {"week": "last week"})[0] == 400
    assert not AuditRun.objects.exists()


@pytest.mark.django_db
def test_the_api_draw_is_for_leads(client, week_with_outputs, alice):
    token = UserToken.issue(user=alice, name="t")[1]
    status_code, body = api_draw(client, token, {"week": "2026-W47"})
    assert status_code == 403 and not AuditRun.objects.exists()


@pytest.mark.django_db
def test_the_api_says_when_there_is_no_plan(client, project_a, lead_token):
    status_code, body = api_draw(client, lead_token, {"week": "2026-W47"})
    assert status_code == 409 and body["reason"] == "no_plan"


# -- the scheduler ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "too_early", "due"), [
    ("Europe/Berlin", datetime(2026, 11, 23, 2, 0), datetime(2026, 11, 23, 5, 0)),  # week ends Sun 23:00 UTC
    ("America/New_York", datetime(2026, 11, 23, 2, 0), datetime(2026, 11, 23, 11, 0)),  # ends Mon 05:00 UTC
    ("Pacific/Auckland", datetime(2026, 11, 22, 16, 0), datetime(2026, 11, 22, 17, 0)),  # ends Sun 11:00 UTC
])
def test_the_hourly_job_draws_each_zones_week_at_the_first_run_after_its_grace(project_a, plan, zone, too_early, due):
    plan.time_zone = zone
    plan.save()
    start, _ = WEEK.bounds(zone)
    add_outputs(project_a, {("billing", "medium"): 50}, start=start)
    with at(too_early.replace(tzinfo=UTC)):
        assert tasks.weekly_draw_job() == []
    assert not AuditRun.objects.exists()
    with at(due.replace(tzinfo=UTC)):
        [run_id] = tasks.weekly_draw_job()
        assert tasks.weekly_draw_job() == []
    run = AuditRun.objects.get(pk=run_id)
    assert (str(run.week), run.drawn_early, run.population) == ("2026-W47", False, 50)


@pytest.mark.django_db
def test_the_hourly_job_skips_empty_weeks_and_goes_on_with_other_projects(project_a, project_b, plan, caplog):
    SamplingPlan(project=project_b, strata=STRATA).save_as_new_version()
    add_outputs(project_b, {("billing", "medium"): 20})
    with at(READY), caplog.at_level("INFO", logger="reviewapp.audits"):
        runs = tasks.weekly_draw_job()
    assert [AuditRun.objects.get(pk=pk).project.slug for pk in runs] == ["claims"]
    assert "scheduled draw of support 2026-W47 skipped: 2026-W47 has no outputs" in caplog.text


# -- the setting -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_leads_set_the_grace_period_on_the_plan_page_and_empty_means_the_default(lead_client, project_a):
    from tests.helpers import plan_form

    url = reverse("reviewapp:plan-edit", args=["support"])
    assert "Grace period for late arrivals (hours)" in lead_client.get(url).content.decode()
    assert lead_client.post(url, plan_form(grace_hours="24")).status_code == 302
    assert SamplingPlan.current(project_a).grace_hours == 24
    assert lead_client.post(url, plan_form(grace_hours="")).status_code == 302
    assert SamplingPlan.current(project_a).grace_hours == 6
    page = lead_client.post(url, plan_form(grace_hours="200")).content.decode()
    assert "Ensure this value is less than or equal to 168." in page and SamplingPlan.current(project_a).version == 2

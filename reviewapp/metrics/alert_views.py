"""The leads' alert pages: where alerts go (channels, with a test button) and what was sent."""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from reviewapp.lib.http import AuthenticatedHttpRequest
from reviewapp.projects.access import lead_project_for

from . import alerts
from .forms import ChannelForm
from .models import Alert, AlertAttempt, NotificationChannel

ALERTS_SHOWN = 200


@require_http_methods(["GET", "POST"])
def channels(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="set where alerts go")
    form = ChannelForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        channel = form.save()
        messages.success(request, f"Alerts now also go to {channel.target}.")
        return redirect("reviewapp:alert-channels", project.slug)
    return render(request, "metrics/channels.html", {
        "project": project, "can_lead": True, "form": form,
        "channels": NotificationChannel.objects.filter(project=project)})


def _channel(request: AuthenticatedHttpRequest, project) -> NotificationChannel | None:
    """The channel named by the form's `channel` field, among the project's; None (said) otherwise."""
    raw = request.POST.get("channel", "")
    channel = NotificationChannel.objects.filter(project=project, pk=int(raw)).first() if raw.isdigit() else None
    if channel is None:
        messages.error(request, "Channel: no such channel in this project (removed already?).")
    return channel


@require_POST
def channel_remove(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="set where alerts go")
    channel = _channel(request, project)
    if channel is not None:
        channel.delete()
        messages.success(request, f"Alerts no longer go to {channel.target}.")
    return redirect("reviewapp:alert-channels", project.slug)


@require_POST
def channel_test(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="send test alerts")
    channel = _channel(request, project)
    if channel is not None:
        alerts.test_alert(channel)
        messages.info(request, f"A test alert is on its way to {channel.target}; its attempts are on the alerts page.")
    return redirect("reviewapp:alert-channels", project.slug)


@require_GET
def alert_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    project = lead_project_for(request, slug, doing="see the alerts")
    shown = (Alert.objects.filter(project=project)
             .prefetch_related(Prefetch("attempts", queryset=AlertAttempt.objects.order_by("at", "id")))[:ALERTS_SHOWN])
    return render(request, "metrics/alerts.html", {
        "project": project, "can_lead": True, "alerts": shown, "limit": ALERTS_SHOWN,
        "has_channels": NotificationChannel.objects.filter(project=project).exists()})

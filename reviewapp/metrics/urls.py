from django.urls import path

from . import alert_views, judge_views, progress_views, views

urlpatterns = [
    path("p/<slug:slug>/scorecard/", views.scorecard_page, name="scorecard"),
    path("p/<slug:slug>/scorecard/settings", views.scorecard_settings, name="scorecard-settings"),
    path("p/<slug:slug>/metrics/<id:year>-W<id:week>/", views.run_metrics, name="run-metrics"),
    path("p/<slug:slug>/metrics/<id:year>-W<id:week>/recompute", views.recompute, name="run-metrics-recompute"),
    path("p/<slug:slug>/metrics/<id:year>-W<id:week>/status", views.run_status, name="run-metrics-status"),
    path("p/<slug:slug>/metrics/<id:year>-W<id:week>/close-stratum", progress_views.stratum_close, name="run-stratum-close"),
    path("p/<slug:slug>/alerts/", alert_views.alert_list, name="alerts"),
    path("p/<slug:slug>/alerts/channels/", alert_views.channels, name="alert-channels"),
    path("p/<slug:slug>/alerts/channels/remove", alert_views.channel_remove, name="alert-channel-remove"),
    path("p/<slug:slug>/alerts/channels/test", alert_views.channel_test, name="alert-channel-test"),
    path("p/<slug:slug>/judges/", judge_views.judges, name="judges"),
    path("p/<slug:slug>/judges/<id:evaluator_id>/", judge_views.certification, name="judge-certification"),
]

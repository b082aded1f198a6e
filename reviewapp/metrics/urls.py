from django.urls import path

from . import progress_views, views

urlpatterns = [
    path("p/<slug:slug>/scorecard/", views.scorecard_page, name="scorecard"),
    path("p/<slug:slug>/scorecard/settings", views.scorecard_settings, name="scorecard-settings"),
    path("p/<slug:slug>/metrics/<id:year>-W<id:week>/", views.run_metrics, name="run-metrics"),
    path("p/<slug:slug>/metrics/<id:year>-W<id:week>/recompute", views.recompute, name="run-metrics-recompute"),
    path("p/<slug:slug>/metrics/<id:year>-W<id:week>/status", views.run_status, name="run-metrics-status"),
    path("p/<slug:slug>/metrics/<id:year>-W<id:week>/close-stratum", progress_views.stratum_close, name="run-stratum-close"),
]

from django.urls import path

from . import views

urlpatterns = [
    path("p/<slug:slug>/scorecard/", views.scorecard_page, name="scorecard"),
    path("p/<slug:slug>/scorecard/settings", views.scorecard_settings, name="scorecard-settings"),
    path("p/<slug:slug>/metrics/<int:year>-W<int:week>/", views.run_metrics, name="run-metrics"),
    path("p/<slug:slug>/metrics/<int:year>-W<int:week>/recompute", views.recompute, name="run-metrics-recompute"),
    path("p/<slug:slug>/metrics/<int:year>-W<int:week>/status", views.run_status, name="run-metrics-status"),
]

from django.urls import path

from . import home, retention_views, views

urlpatterns = [
    path("p/<slug:slug>/", home.project_home, name="project-detail"),
    path("p/<slug:slug>/plan/", views.plan_edit, name="plan-edit"),
    path("p/<slug:slug>/plan/preview", views.plan_preview, name="plan-preview"),
    path("p/<slug:slug>/audits/", views.run_list, name="run-list"),
    path("p/<slug:slug>/audits/draw", views.run_draw, name="run-draw"),
    path("p/<slug:slug>/audits/<id:year>-W<id:week>/", views.run_detail, name="run-detail"),
    path("p/<slug:slug>/retention/", retention_views.retention_page, name="retention"),
    path("p/<slug:slug>/drawn/<id:output_id>/", views.drawn_output_detail, name="drawn-output-detail"),
]

from django.urls import path

from . import home, views

urlpatterns = [
    path("p/<slug:slug>/", home.project_home, name="project-detail"),
    path("p/<slug:slug>/plan/", views.plan_edit, name="plan-edit"),
    path("p/<slug:slug>/plan/preview", views.plan_preview, name="plan-preview"),
    path("p/<slug:slug>/audits/", views.run_list, name="run-list"),
    path("p/<slug:slug>/audits/draw", views.run_draw, name="run-draw"),
    path("p/<slug:slug>/audits/<id:year>-W<id:week>/", views.run_detail, name="run-detail"),
]

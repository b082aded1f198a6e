from django.urls import path

from . import views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("p/<slug:slug>/", views.project_detail, name="project-detail"),
    path("p/<slug:slug>/outputs/<int:output_id>/", views.output_detail, name="output-detail"),
]

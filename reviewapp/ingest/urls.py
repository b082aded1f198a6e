from django.urls import path

from . import views

urlpatterns = [
    path("p/<slug:slug>/outputs/<id:output_id>/", views.output_detail, name="output-detail"),
]

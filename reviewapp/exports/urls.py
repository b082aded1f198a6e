from django.urls import path

from . import sync_views, views

urlpatterns = [
    path("p/<slug:slug>/exports/", views.export_list, name="exports"),
    path("p/<slug:slug>/exports/count/", views.export_count, name="export-count"),
    path("p/<slug:slug>/exports/v<id:version>/", views.export_detail, name="export-detail"),
    path("p/<slug:slug>/exports/v<id:version>/<str:name>", views.export_download, name="export-download"),
    path("p/<slug:slug>/sync/", sync_views.source_sync, name="source-sync"),
]

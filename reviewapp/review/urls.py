from django.urls import path

from . import discussion_views, rubric_views, views

urlpatterns = [
    path("p/<slug:slug>/review/", views.queue, name="review-queue"),
    path("p/<slug:slug>/review/next", views.next_item, name="review-next"),
    path("p/<slug:slug>/review/undo", views.undo, name="review-undo"),
    path("p/<slug:slug>/review/items/<id:item_id>/", views.item_page, name="review-item"),
    path("p/<slug:slug>/review/items/<id:item_id>/submit", views.submit, name="review-submit"),
    path("p/<slug:slug>/review/items/<id:item_id>/skip", views.skip, name="review-skip"),
    path("p/<slug:slug>/review/items/<id:item_id>/history", views.history, name="review-history"),
    path("p/<slug:slug>/labels/", views.labels, name="labels"),
    path("p/<slug:slug>/adjudication/", views.disputed, name="adjudication"),
    path("p/<slug:slug>/adjudication/<id:item_id>/", views.adjudicate, name="adjudicate"),
    path("p/<slug:slug>/rubric/", rubric_views.rubric, name="rubric"),
    path("p/<slug:slug>/rubric/preview", rubric_views.preview, name="rubric-preview"),
    path("p/<slug:slug>/review/items/<id:item_id>/comment", discussion_views.comment, name="review-comment"),
    path("p/<slug:slug>/review/items/<id:item_id>/flag", discussion_views.flag, name="review-flag"),
    path("p/<slug:slug>/review/items/<id:item_id>/resolve", discussion_views.resolve, name="review-flag-resolve"),
    path("p/<slug:slug>/flags/", discussion_views.flags, name="review-flags"),
]

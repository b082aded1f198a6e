from django.urls import path

from . import people_views, views

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("new/", people_views.project_new, name="project-new"),
    path("p/<slug:slug>/people/", people_views.people, name="project-people"),
    path("p/<slug:slug>/people/add", people_views.member_add, name="project-member-add"),
    path("p/<slug:slug>/people/invite", people_views.member_invite, name="project-member-invite"),
    path("p/<slug:slug>/people/<id:membership_id>/role", people_views.member_role, name="project-member-role"),
    path("p/<slug:slug>/people/<id:membership_id>/remove", people_views.member_remove, name="project-member-remove"),
    path("p/<slug:slug>/invitations/<id:invitation_id>/withdraw", people_views.invitation_withdraw,
         name="project-invitation-withdraw"),
    path("p/<slug:slug>/tokens/", people_views.tokens, name="project-tokens"),
    path("p/<slug:slug>/tokens/new", people_views.token_new, name="project-token-new"),
    path("p/<slug:slug>/tokens/<id:token_id>/rotate", people_views.token_rotate, name="project-token-rotate"),
    path("p/<slug:slug>/tokens/<id:token_id>/revoke", people_views.token_revoke, name="project-token-revoke"),
    path("p/<slug:slug>/activity/", people_views.activity, name="project-activity"),
    path("invite/<str:secret>/", people_views.invitation, name="invitation"),
]

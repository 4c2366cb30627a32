"""Invitation short links (/r/<token>/) and the 二维码 rating links, mounted at /r/."""

from django.urls import path

from . import invite_views

app_name = "ratings_invite"
urlpatterns = [
    path("q/<str:signed>/", invite_views.qr, name="qr"),
    path("f/<str:signed>/", invite_views.fix, name="fix"),
    path("<str:token>/", invite_views.link, name="link"),
]

"""Invitation short links (/r/<token>/) and the 二维码 rating links, mounted at /r/."""

from django.urls import path  # noqa: F401

app_name = "ratings_invite"
urlpatterns: list = []

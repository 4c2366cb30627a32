"""The window rating pad (评价器), mounted at /pad/."""

from django.urls import path  # noqa: F401

app_name = "ratings_pad"
urlpatterns: list = []

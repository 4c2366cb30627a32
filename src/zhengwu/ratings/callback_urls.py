"""电话邀评: the week's phone sample for callback staff, mounted at /ratings/phone/."""

from django.urls import path  # noqa: F401

app_name = "ratings_callback"
urlpatterns: list = []

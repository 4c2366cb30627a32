"""评价公示: the public figures per department, window and item, mounted at /ratings/public/."""

from django.urls import path  # noqa: F401

app_name = "ratings_public"
urlpatterns: list = []

"""评价公示: the public figures per department, window and item, mounted at /ratings/public/."""

from django.urls import path

from . import figures_views

app_name = "ratings_public"
urlpatterns: list = [path("", figures_views.public_figures, name="figures")]

"""The window rating pad (评价器), mounted at /pad/."""

from django.urls import path

from . import pad_views

app_name = "ratings_pad"
urlpatterns = [
    path("", pad_views.page, name="page"),
    path("screen/", pad_views.screen, name="screen"),
    path("rate/", pad_views.rate, name="rate"),
    path("bind/<str:token>/", pad_views.bind, name="bind"),
]

"""Citizens' pages, mounted at /appointments/: book, my appointments, cancel, rebook."""

from django.urls import path

from . import public_views as views

app_name = "appointments"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/cancel/", views.cancel, name="cancel"),
    path("<str:code>/rebook/", views.rebook, name="rebook"),
]

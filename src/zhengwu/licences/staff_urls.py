"""电子证照 for the issuing department, mounted at /licences/staff/."""

from django.urls import path

from . import staff_views as views

app_name = "licences_staff"
urlpatterns = [
    path("", views.licence_list, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/change/", views.change, name="change"),
    path("<int:pk>/cancel/", views.end, {"state": "cancelled"}, name="cancel"),
    path("<int:pk>/revoke/", views.end, {"state": "revoked"}, name="revoke"),
]

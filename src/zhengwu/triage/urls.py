"""Pages of triage, mounted at /triage/."""

from django.urls import path

from . import views

app_name = "triage"
urlpatterns = [
    path("hotspots/", views.hotspots, name="hotspots"),
    path("hotspots/refresh/", views.hotspots_refresh, name="hotspots_refresh"),
    path("hotspots/export.xlsx", views.hotspots_export, name="hotspots_export"),
    path("hotspots/<int:pk>/", views.hotspot_detail, name="hotspot_detail"),
    path("hotspots/<int:pk>/task/", views.hotspot_task, name="hotspot_task"),
    path("hotspots/<int:pk>/dismiss/", views.hotspot_dismiss, name="hotspot_dismiss"),
]

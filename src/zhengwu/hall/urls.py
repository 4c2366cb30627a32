"""Mounted at /hall/: the day list, its export and phone booking; the queue's kiosk and hall
screen (no login), 在线取号, the window's call panel and the queue figures."""

from django.urls import path

from . import queue_views, views

app_name = "hall"
urlpatterns = [
    path("", views.day_list, name="day_list"),
    path("export.xlsx", views.export, name="export"),
    path("book/", views.phone_book, name="phone_book"),
    path("<int:pk>/check-in/", views.check_in, name="check_in"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("kiosk/<int:hall_id>/", queue_views.kiosk, name="kiosk"),
    path("display/<int:hall_id>/", queue_views.display, name="display"),
    path("window/", queue_views.window_panel, name="window"),
    path("window/call/", queue_views.call_next, name="call_next"),
    path("window/call-number/", queue_views.call_number, name="call_number"),
    path("window/<int:pk>/<str:action>/", queue_views.ticket_action, name="ticket_action"),
    path("queue/online/", queue_views.online, name="queue_online"),
    path("queue/figures/", queue_views.figures, name="queue_figures"),
]

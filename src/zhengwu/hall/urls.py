"""Staff pages, mounted at /hall/: the day list, its export and phone booking."""

from django.urls import path

from . import views

app_name = "hall"
urlpatterns = [
    path("", views.day_list, name="day_list"),
    path("export.xlsx", views.export, name="export"),
    path("book/", views.phone_book, name="phone_book"),
    path("<int:pk>/check-in/", views.check_in, name="check_in"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
]

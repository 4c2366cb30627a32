from django.urls import path

from . import views

app_name = "calendar"
urlpatterns = [
    path("", views.year_list, name="year_list"),
    path("enter/", views.year_entry, name="year_entry"),
    path("<int:year>/", views.year_detail, name="year_detail"),
]

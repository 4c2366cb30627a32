"""电话邀评: the week's phone sample for callback staff, mounted at /ratings/phone/."""

from django.urls import path

from . import callback_views

app_name = "ratings_callback"
urlpatterns = [
    path("", callback_views.sample_list, name="list"),
    path("<int:pk>/", callback_views.call, name="call"),
]

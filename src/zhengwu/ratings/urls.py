"""差评整改 and 申诉复核 for staff, mounted at /ratings/."""

from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/urge/", views.urge, name="urge"),
    path("<int:pk>/<slug:step>/", views.case_step, name="step"),
    path("rating/<int:pk>/contest/", views.contest, name="contest"),
    path("contests/", views.contest_list, name="contests"),
    path("contests/<int:pk>/", views.decide, name="decide"),
]

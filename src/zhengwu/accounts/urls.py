from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .login import LoginView

app_name = "accounts"
urlpatterns = [
    path("staff/", views.staff_list, name="staff_list"),
    path("people/", views.people, name="people"),
    path("people/citizens/<int:pk>/", views.citizen_detail, name="citizen_detail"),
    path("people/enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("signup/", views.signup_view, name="signup"),
]

# Login and logout keep Django's names ("login", "logout") so LOGIN_URL and templates stay plain.
auth_urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

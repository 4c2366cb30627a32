"""Public pages of 电子证照, mounted at /licences/: verification (services.VERIFY_PATH, printed in
every licence's QR, so it must not move) and the seals' public keys."""

from django.urls import path

from . import public_views

app_name = "licences_public"
urlpatterns = [
    path("verify/", public_views.verify_page, name="verify"),
    path("keys/", public_views.keys, name="keys"),
]

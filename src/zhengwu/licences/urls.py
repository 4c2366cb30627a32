"""我的证照, mounted at /my/licences/ (the share viewer too: its link needs no account)."""

from django.urls import path

from . import views

app_name = "licences"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("uses/", views.uses, name="uses"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pdf/", views.pdf, name="pdf"),
    path("<int:pk>/share/", views.share, name="share"),
    path("shares/<int:share_id>/revoke/", views.share_revoke, name="share_revoke"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("shared/<str:token>/pdf/", views.shared_pdf, name="shared_pdf"),
]

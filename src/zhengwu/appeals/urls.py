"""Staff pages of the appeals desk, mounted at /appeals/."""

from django.urls import path

from . import views

app_name = "appeals"
urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("export.xlsx", views.list_export, name="export"),
    path("intake/", views.intake, name="intake"),
    path("intake/history/", views.caller_history, name="caller_history"),
    path("intake/assist/", views.intake_assist, name="intake_assist"),
    path("queue/", views.dispatch_queue, name="dispatch_queue"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/export.xlsx", views.inbox_export, name="inbox_export"),
    path("callbacks/", views.callback_queue, name="callback_queue"),
    path("board/", views.board, name="board"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.act, name="act"),
    path("<int:pk>/phone/", views.reveal_phone, name="reveal_phone"),
]

from __future__ import annotations

from django.urls import URLPattern, path

from . import board_views

urlpatterns: list[URLPattern] = [
    path("board/", board_views.board, name="board"),
]

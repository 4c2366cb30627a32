"""Applicant pages, mounted at /apply/: 在线办理, 我的办件, progress by number and query code."""

app_name = "applications_public"
urlpatterns: list = []

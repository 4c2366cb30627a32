from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "zhengwu.analytics"
    verbose_name = "统计分析"

    def ready(self) -> None:
        from . import measures  # noqa: F401  (the families register their measures and indicators)

from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "zhengwu.casework"
    verbose_name = "办理通用"

from django.apps import AppConfig


class HallConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "zhengwu.hall"
    verbose_name = "大厅预约"

from django.apps import AppConfig


class LicencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "zhengwu.licences"
    verbose_name = "电子证照"

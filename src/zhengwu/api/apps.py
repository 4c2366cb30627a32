from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zhengwu.api"
    verbose_name = "接口"

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zhengwu.web"
    verbose_name = "页面"

from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "zhengwu.triage"
    verbose_name = "智能研判"

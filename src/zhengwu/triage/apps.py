from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "zhengwu.triage"
    verbose_name = "智能研判"

    def ready(self) -> None:
        # The appeals desk announces its triages; the classifier learns from them here (the desk
        # does not import this part).
        from zhengwu.casework import domain_events

        from . import services, suggester

        domain_events.subscribe("appeal_triaged")(services.learn_from_triage)
        suggester.register()

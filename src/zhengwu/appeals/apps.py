from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "zhengwu.appeals"
    verbose_name = "诉求办理"

    def ready(self) -> None:
        from zhengwu.calendar.signals import calendar_changed

        from .tasks import recompute_deadlines

        def on_calendar_changed(sender: object, **kwargs: object) -> None:
            recompute_deadlines.enqueue()

        calendar_changed.connect(on_calendar_changed, dispatch_uid="appeals.recompute_deadlines", weak=False)

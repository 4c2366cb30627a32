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

        from django.db.models.signals import post_migrate

        from .board import after_migrate

        # The 问题清零 roll-up's change log is written by triggers; put them back whenever a
        # migration lost them (SQLite drops a table's triggers when it rebuilds the table).
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="appeals.board_triggers")

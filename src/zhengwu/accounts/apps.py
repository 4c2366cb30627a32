from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhengwu.accounts"
    verbose_name = "用户与角色"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import sync_roles_after_migrate

        post_migrate.connect(sync_roles_after_migrate, sender=self)

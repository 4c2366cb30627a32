"""The 问题清零 roll-up (appeals/board.py): its tables and the triggers that log changed appeals;
partial indexes for the board's red and long-overdue lists; a covering index for the inbox."""

from django.db import migrations, models


def install_triggers(apps, schema_editor):
    from zhengwu.appeals.board import install_triggers

    install_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    from zhengwu.appeals.board import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0005_proactive_channel"),
    ]

    operations = [
        migrations.CreateModel(
            name="BoardChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("appeal_id", models.BigIntegerField(verbose_name="诉求")),
            ],
            options={
                "verbose_name": "问题清零待汇总变更",
                "verbose_name_plural": "问题清零待汇总变更",
            },
        ),
        migrations.CreateModel(
            name="BoardItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("appeal_id", models.BigIntegerField(db_index=True, verbose_name="诉求")),
                ("department_id", models.BigIntegerField(blank=True, null=True, verbose_name="部门")),
                ("red", models.BooleanField(verbose_name="纪委督办")),
                (
                    "overdue_since",
                    models.DateTimeField(blank=True, db_index=True, null=True, verbose_name="超期起点"),
                ),
            ],
            options={
                "verbose_name": "问题清零汇总明细",
                "verbose_name_plural": "问题清零汇总明细",
            },
        ),
        migrations.CreateModel(
            name="BoardSnapshot",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("as_of", models.DateTimeField(blank=True, null=True, verbose_name="汇总时刻")),
                ("rebuilt_at", models.DateTimeField(blank=True, null=True, verbose_name="最近全量重算")),
            ],
            options={
                "verbose_name": "问题清零汇总",
                "verbose_name_plural": "问题清零汇总",
            },
        ),
        migrations.CreateModel(
            name="BoardTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("department_id", models.BigIntegerField(blank=True, null=True, verbose_name="部门")),
                ("open", models.PositiveIntegerField(verbose_name="在办")),
                ("red", models.PositiveIntegerField(verbose_name="纪委督办")),
                ("overdue", models.PositiveIntegerField(verbose_name="超期（截至汇总时刻）")),
            ],
            options={
                "verbose_name": "问题清零部门汇总",
                "verbose_name_plural": "问题清零部门汇总",
            },
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                condition=models.Q(
                    ("red_listed", True),
                    (
                        "state__in",
                        ["dispatched", "in_progress", "registered", "replied", "reply_review", "returned", "triaged"],
                    ),
                ),
                fields=["due_at", "id"],
                name="appeal_red_open_due",
            ),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                condition=models.Q(("state__in", ["dispatched", "in_progress", "returned"])),
                fields=["due_at", "id"],
                name="appeal_handling_due",
            ),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                fields=["department", "state", "sign_due_at"],
                include=("handle_due_at",),
                name="assignment_inbox_sign",
            ),
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]

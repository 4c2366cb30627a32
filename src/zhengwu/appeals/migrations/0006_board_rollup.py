"""The 问题清零 roll-up (appeals/board.py): its tables and the triggers that log changed appeals;
partial indexes for the board's red and long-overdue lists; a covering index for the inbox.

The trigger SQL is copied here as it was when this migration was written, so that a later change
to appeals/board.py cannot change what this migration does. board.install_triggers runs after
every ``migrate`` and replaces triggers whose SQL has changed since (it compares versions)."""

from django.db import migrations, models

TRIGGERS = (
    "zw_board_appeal_ins",
    "zw_board_appeal_del",
    "zw_board_appeal_upd",
    "zw_board_assignment_ins",
    "zw_board_assignment_del",
    "zw_board_assignment_upd",
)

POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION zw_board_log_appeal() RETURNS trigger LANGUAGE plpgsql AS $$\n            BEGIN\n              IF TG_OP IN ('UPDATE', 'DELETE') THEN\n                INSERT INTO appeals_boardchange (appeal_id) VALUES (OLD.id);\n              END IF;\n              IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.id IS DISTINCT FROM OLD.id) THEN\n                INSERT INTO appeals_boardchange (appeal_id) VALUES (NEW.id);\n              END IF;\n              RETURN NULL;\n            END $$",
    "CREATE OR REPLACE FUNCTION zw_board_log_assignment() RETURNS trigger LANGUAGE plpgsql AS $$\n            BEGIN\n              IF TG_OP IN ('UPDATE', 'DELETE') THEN\n                INSERT INTO appeals_boardchange (appeal_id) VALUES (OLD.appeal_id);\n              END IF;\n              IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.appeal_id IS DISTINCT FROM OLD.appeal_id) THEN\n                INSERT INTO appeals_boardchange (appeal_id) VALUES (NEW.appeal_id);\n              END IF;\n              RETURN NULL;\n            END $$",
    "DROP TRIGGER IF EXISTS zw_board_appeal_ins ON appeals_appeal",
    "DROP TRIGGER IF EXISTS zw_board_appeal_del ON appeals_appeal",
    "DROP TRIGGER IF EXISTS zw_board_appeal_upd ON appeals_appeal",
    "DROP TRIGGER IF EXISTS zw_board_assignment_ins ON appeals_assignment",
    "DROP TRIGGER IF EXISTS zw_board_assignment_del ON appeals_assignment",
    "DROP TRIGGER IF EXISTS zw_board_assignment_upd ON appeals_assignment",
    "CREATE TRIGGER zw_board_appeal_ins AFTER INSERT ON appeals_appeal FOR EACH ROW EXECUTE FUNCTION zw_board_log_appeal()",
    "CREATE TRIGGER zw_board_appeal_del AFTER DELETE ON appeals_appeal FOR EACH ROW EXECUTE FUNCTION zw_board_log_appeal()",
    "CREATE TRIGGER zw_board_appeal_upd AFTER UPDATE ON appeals_appeal FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.red_listed IS DISTINCT FROM NEW.red_listed) EXECUTE FUNCTION zw_board_log_appeal()",
    "CREATE TRIGGER zw_board_assignment_ins AFTER INSERT ON appeals_assignment FOR EACH ROW EXECUTE FUNCTION zw_board_log_assignment()",
    "CREATE TRIGGER zw_board_assignment_del AFTER DELETE ON appeals_assignment FOR EACH ROW EXECUTE FUNCTION zw_board_log_assignment()",
    "CREATE TRIGGER zw_board_assignment_upd AFTER UPDATE ON appeals_assignment FOR EACH ROW WHEN (OLD.appeal_id IS DISTINCT FROM NEW.appeal_id OR OLD.department_id IS DISTINCT FROM NEW.department_id OR OLD.state IS DISTINCT FROM NEW.state OR OLD.sign_due_at IS DISTINCT FROM NEW.sign_due_at OR OLD.handle_due_at IS DISTINCT FROM NEW.handle_due_at) EXECUTE FUNCTION zw_board_log_assignment()",
    "COMMENT ON TRIGGER zw_board_appeal_ins ON appeals_appeal IS 'zhengwu-board 35486642d58fc948'",
    "COMMENT ON TRIGGER zw_board_appeal_del ON appeals_appeal IS 'zhengwu-board 35486642d58fc948'",
    "COMMENT ON TRIGGER zw_board_appeal_upd ON appeals_appeal IS 'zhengwu-board 35486642d58fc948'",
    "COMMENT ON TRIGGER zw_board_assignment_ins ON appeals_assignment IS 'zhengwu-board 35486642d58fc948'",
    "COMMENT ON TRIGGER zw_board_assignment_del ON appeals_assignment IS 'zhengwu-board 35486642d58fc948'",
    "COMMENT ON TRIGGER zw_board_assignment_upd ON appeals_assignment IS 'zhengwu-board 35486642d58fc948'",
]

SQLITE = [
    "DROP TRIGGER IF EXISTS zw_board_appeal_ins",
    "DROP TRIGGER IF EXISTS zw_board_appeal_del",
    "DROP TRIGGER IF EXISTS zw_board_appeal_upd",
    "DROP TRIGGER IF EXISTS zw_board_assignment_ins",
    "DROP TRIGGER IF EXISTS zw_board_assignment_del",
    "DROP TRIGGER IF EXISTS zw_board_assignment_upd",
    "CREATE TRIGGER zw_board_appeal_ins AFTER INSERT ON appeals_appeal BEGIN INSERT INTO appeals_boardchange (appeal_id) VALUES (NEW.id); END",
    "CREATE TRIGGER zw_board_appeal_del AFTER DELETE ON appeals_appeal BEGIN INSERT INTO appeals_boardchange (appeal_id) VALUES (OLD.id); END",
    "CREATE TRIGGER zw_board_appeal_upd AFTER UPDATE ON appeals_appeal WHEN OLD.state IS NOT NEW.state OR OLD.red_listed IS NOT NEW.red_listed BEGIN INSERT INTO appeals_boardchange (appeal_id) VALUES (NEW.id); END",
    "CREATE TRIGGER zw_board_assignment_ins AFTER INSERT ON appeals_assignment BEGIN INSERT INTO appeals_boardchange (appeal_id) VALUES (NEW.appeal_id); END",
    "CREATE TRIGGER zw_board_assignment_del AFTER DELETE ON appeals_assignment BEGIN INSERT INTO appeals_boardchange (appeal_id) VALUES (OLD.appeal_id); END",
    "CREATE TRIGGER zw_board_assignment_upd AFTER UPDATE ON appeals_assignment WHEN OLD.appeal_id IS NOT NEW.appeal_id OR OLD.department_id IS NOT NEW.department_id OR OLD.state IS NOT NEW.state OR OLD.sign_due_at IS NOT NEW.sign_due_at OR OLD.handle_due_at IS NOT NEW.handle_due_at BEGIN INSERT INTO appeals_boardchange (appeal_id) VALUES (OLD.appeal_id); INSERT INTO appeals_boardchange (appeal_id) SELECT NEW.appeal_id WHERE NEW.appeal_id IS NOT OLD.appeal_id; END",
]


def install_triggers(apps, schema_editor):
    conn = schema_editor.connection
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(conn.vendor, [])
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop_triggers(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            for name in TRIGGERS:
                table = "appeals_appeal" if "_appeal_" in name else "appeals_assignment"
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS zw_board_log_appeal(), zw_board_log_assignment()")
        elif conn.vendor == "sqlite":
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


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
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
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
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
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
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
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
                        [
                            "dispatched",
                            "in_progress",
                            "registered",
                            "replied",
                            "reply_review",
                            "returned",
                            "triaged",
                        ],
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

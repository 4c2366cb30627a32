"""The window rating pad (评价器) and the window service visits it rates, 智能邀评 invitations,
opt-outs and the weekly 电话邀评 sample. A rating of a window service now names its WindowVisit: the
few rated queue tickets get one each before the constraint is put back."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def visits_for_rated_tickets(apps, schema_editor):
    Rating = apps.get_model("ratings", "Rating")
    WindowVisit = apps.get_model("ratings", "WindowVisit")
    for rating in Rating.objects.filter(matter_kind="visit", visit__isnull=True).select_related("ticket"):
        ticket = rating.ticket
        visit = WindowVisit.objects.create(
            window_id=rating.window_id or ticket.window_id,
            staff_id=rating.staff_id,
            department_id=rating.department_id,
            kind="queue",
            service=f"{ticket.number}号",
            ticket=ticket,
            item_id=rating.item_id,
            finished_at=ticket.finished_at or rating.rated_at,
        )
        Rating.objects.filter(pk=rating.pk).update(visit=visit)


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0009_open311_services"),
        ("applications", "0006_applicationmaterial_licence"),
        ("catalog", "0004_licence_type_by_reference"),
        ("hall", "0003_queue_partial_indexes"),
        ("notifications", "0001_initial"),
        ("org", "0001_initial"),
        ("ratings", "0002_appeal_ratings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PhoneSample",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("week", models.DateField(db_index=True, verbose_name="抽样周（周一）")),
                (
                    "matter_kind",
                    models.CharField(
                        choices=[
                            ("application", "办件"),
                            ("bundle", "一件事"),
                            ("appeal", "诉求"),
                            ("visit", "窗口服务"),
                        ],
                        max_length=20,
                        verbose_name="评价对象",
                    ),
                ),
                ("matter_key", models.CharField(max_length=40, verbose_name="评价对象键")),
                ("matter_number", models.CharField(max_length=40, verbose_name="办件编号")),
                ("phone", models.CharField(max_length=20, verbose_name="手机号")),
                ("called_at", models.DateTimeField(blank=True, null=True, verbose_name="回访时间")),
                ("reached", models.BooleanField(blank=True, null=True, verbose_name="联系上")),
                ("note", models.CharField(blank=True, max_length=500, verbose_name="备注")),
            ],
            options={
                "verbose_name": "电话邀评抽样",
                "verbose_name_plural": "电话邀评抽样",
                "ordering": ["-week", "department", "id"],
            },
        ),
        migrations.CreateModel(
            name="RatingInvitation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                (
                    "matter_kind",
                    models.CharField(
                        choices=[
                            ("application", "办件"),
                            ("bundle", "一件事"),
                            ("appeal", "诉求"),
                            ("visit", "窗口服务"),
                        ],
                        max_length=20,
                        verbose_name="评价对象",
                    ),
                ),
                ("matter_key", models.CharField(max_length=40, unique=True, verbose_name="评价对象键")),
                ("matter_number", models.CharField(db_index=True, max_length=40, verbose_name="办件编号")),
                ("rater_key", models.CharField(max_length=80, verbose_name="评价人键")),
                ("phone", models.CharField(max_length=20, verbose_name="手机号")),
                (
                    "token_hash",
                    models.CharField(editable=False, max_length=64, unique=True, verbose_name="链接令牌摘要"),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("scheduled", "待发送"),
                            ("sent", "已邀评"),
                            ("reminded", "已提醒"),
                            ("answered", "已评价"),
                            ("skipped", "不发送"),
                        ],
                        db_index=True,
                        default="scheduled",
                        max_length=20,
                        verbose_name="状态",
                    ),
                ),
                ("skipped_reason", models.CharField(blank=True, max_length=100, verbose_name="不发送原因")),
                ("finished_at", models.DateTimeField(verbose_name="办结时间")),
                ("send_at", models.DateTimeField(db_index=True, verbose_name="计划发送时间")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="邀评时间")),
                ("reminded_at", models.DateTimeField(blank=True, null=True, verbose_name="提醒时间")),
            ],
            options={
                "verbose_name": "邀评",
                "verbose_name_plural": "邀评",
                "ordering": ["-send_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="RatingOptOut",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("phone_key", models.CharField(max_length=80, unique=True, verbose_name="手机号摘要")),
                (
                    "source",
                    models.CharField(
                        default="sms",
                        help_text="sms：回复TD；web：网页退订",
                        max_length=20,
                        verbose_name="来源",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="退订时间")),
            ],
            options={
                "verbose_name": "退订邀评",
                "verbose_name_plural": "退订邀评",
            },
        ),
        migrations.CreateModel(
            name="RatingPad",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("label", models.CharField(blank=True, max_length=50, verbose_name="设备名称")),
                (
                    "token_hash",
                    models.CharField(editable=False, max_length=64, unique=True, verbose_name="令牌摘要"),
                ),
                ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="吊销时间")),
                ("last_seen_at", models.DateTimeField(blank=True, null=True, verbose_name="最近在线")),
            ],
            options={
                "verbose_name": "评价器",
                "verbose_name_plural": "评价器",
                "ordering": ["window", "-created_at"],
            },
        ),
        migrations.CreateModel(
            name="WindowVisit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("queue", "叫号服务"),
                            ("intake", "收件受理"),
                            ("delivery", "出件"),
                            ("other", "其他窗口服务"),
                        ],
                        max_length=20,
                        verbose_name="服务类型",
                    ),
                ),
                (
                    "service",
                    models.CharField(
                        help_text="评价器上显示，如事项名称", max_length=200, verbose_name="服务内容"
                    ),
                ),
                ("finished_at", models.DateTimeField(db_index=True, verbose_name="服务结束时间")),
            ],
            options={
                "verbose_name": "窗口服务",
                "verbose_name_plural": "窗口服务",
                "ordering": ["-finished_at", "-id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="rating",
            name="rating_names_its_matter",
        ),
        migrations.AlterField(
            model_name="rating",
            name="ticket",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ratings",
                to="hall.queueticket",
                verbose_name="排队号",
            ),
        ),
        migrations.AddField(
            model_name="phonesample",
            name="called_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="回访人",
            ),
        ),
        migrations.AddField(
            model_name="phonesample",
            name="department",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="phone_samples",
                to="org.department",
                verbose_name="办理部门",
            ),
        ),
        migrations.AddField(
            model_name="phonesample",
            name="rating",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="phone_sample",
                to="ratings.rating",
                verbose_name="记录的评价",
            ),
        ),
        migrations.AddField(
            model_name="ratinginvitation",
            name="department",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rating_invitations",
                to="org.department",
                verbose_name="办理部门",
            ),
        ),
        migrations.AddField(
            model_name="ratinginvitation",
            name="message",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="notifications.message",
                verbose_name="邀评短信",
            ),
        ),
        migrations.AddField(
            model_name="ratinginvitation",
            name="rating",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="invitation",
                to="ratings.rating",
                verbose_name="带来的评价",
            ),
        ),
        migrations.AddField(
            model_name="ratinginvitation",
            name="reminder",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="notifications.message",
                verbose_name="提醒短信",
            ),
        ),
        migrations.AddField(
            model_name="ratingpad",
            name="issued_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="签发人",
            ),
        ),
        migrations.AddField(
            model_name="ratingpad",
            name="window",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rating_pads",
                to="org.window",
                verbose_name="窗口",
            ),
        ),
        migrations.AddField(
            model_name="windowvisit",
            name="application",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="window_visits",
                to="applications.application",
                verbose_name="办件",
            ),
        ),
        migrations.AddField(
            model_name="windowvisit",
            name="department",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="window_visits",
                to="org.department",
                verbose_name="办理部门",
            ),
        ),
        migrations.AddField(
            model_name="windowvisit",
            name="item",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="window_visits",
                to="catalog.serviceitem",
                verbose_name="事项",
            ),
        ),
        migrations.AddField(
            model_name="windowvisit",
            name="staff",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="window_visits",
                to=settings.AUTH_USER_MODEL,
                verbose_name="工作人员",
            ),
        ),
        migrations.AddField(
            model_name="windowvisit",
            name="ticket",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="window_visits",
                to="hall.queueticket",
                verbose_name="排队号",
            ),
        ),
        migrations.AddField(
            model_name="windowvisit",
            name="window",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="visits",
                to="org.window",
                verbose_name="窗口",
            ),
        ),
        migrations.AddField(
            model_name="rating",
            name="visit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="ratings",
                to="ratings.windowvisit",
                verbose_name="窗口服务",
            ),
        ),
        migrations.RunPython(visits_for_rated_tickets, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="rating",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("application__isnull", False), ("matter_kind", "application")),
                    models.Q(("bundle_application__isnull", False), ("matter_kind", "bundle")),
                    models.Q(("appeal__isnull", False), ("matter_kind", "appeal")),
                    models.Q(("matter_kind", "visit"), ("visit__isnull", False)),
                    _connector="OR",
                ),
                name="rating_names_its_matter",
            ),
        ),
        migrations.AddConstraint(
            model_name="phonesample",
            constraint=models.UniqueConstraint(
                fields=("week", "matter_key"), name="phone_sample_once_a_week"
            ),
        ),
        migrations.AddIndex(
            model_name="ratinginvitation",
            index=models.Index(fields=["department", "send_at"], name="invitation_dept_time"),
        ),
        migrations.AddIndex(
            model_name="windowvisit",
            index=models.Index(fields=["window", "finished_at"], name="visit_window_time"),
        ),
    ]

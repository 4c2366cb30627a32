"""Data of the triage app: the 派单目录 keyword rules and category → department mapping that answer
before any model exists, the dispatchers' decisions the models learn from, and the model versions.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhengwu.core.models import TimeStampedModel


def model_dir() -> Path:
    """Where model files live; ``TRIAGE_MODEL_DIR`` overrides (tests point it at a temp dir)."""
    return Path(getattr(settings, "TRIAGE_MODEL_DIR", "") or Path(settings.VAR_DIR) / "triage" / "models")


class DispatchRule(TimeStampedModel):
    """派单目录 — a keyword rule: an appeal mentioning any of the keywords goes to this category
    (and department). Answers on cold start and whenever the model is unavailable."""

    category = models.CharField(
        "分类名称",
        max_length=50,
        db_index=True,
        blank=True,
        help_text="选择诉求分类后自动填写；仅在分类不属于诉求分类时才直接填写",
    )
    # The key: renaming the desk's category must not detach its rules. ``category`` keeps the name
    # for rules written before the desk knew the category (and is refreshed from the key on save
    # in the admin), readers go through ``category_name``.
    desk_category = models.ForeignKey(
        "appeals.Category",
        verbose_name="诉求分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"parent__isnull": True},
    )
    keywords = models.TextField("关键词", help_text="每行一个，或用逗号、顿号分隔；出现任一关键词即匹配")
    department = models.ForeignKey(
        "org.Department",
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空则使用该分类的默认承办单位",
    )
    priority = models.IntegerField("优先级", default=0, help_text="数字大的规则先匹配")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "派单规则"
        verbose_name_plural = "派单目录（关键词规则）"
        ordering = ["-priority", "category", "id"]

    def __str__(self) -> str:
        return f"{self.category_name}：{self.keywords[:30]}"

    @property
    def category_name(self) -> str:
        """The category's current name: the desk category's when the rule refers to one."""
        return self.desk_category.name if self.desk_category_id and self.desk_category else self.category

    def keyword_list(self) -> list[str]:
        from .rules import split_keywords

        return split_keywords(self.keywords)


class ExampleSource(models.TextChoices):
    SEED = "seed", "初始样本"
    DISPATCHER = "dispatcher", "派单员决定"


class TrainingExample(models.Model):
    """A labelled appeal text the classifier learns from: the seed set, and every dispatcher
    decision — an accepted suggestion or a correction (``suggested`` ≠ ``label``)."""

    title = models.CharField("标题", max_length=200, blank=True)
    body = models.TextField("内容")
    label = models.CharField("分类名称（记录时）", max_length=50, db_index=True)
    # The key the example is attached to: a renamed category keeps its examples. ``label`` is the
    # name as it was recorded, used only where no desk category of that name existed.
    desk_category = models.ForeignKey(
        "appeals.Category",
        verbose_name="诉求分类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    suggested = models.CharField("系统建议", max_length=50, blank=True)
    source = models.CharField("来源", max_length=20, choices=ExampleSource.choices, db_index=True)
    digest = models.CharField(
        "文本摘要", max_length=64, db_index=True, help_text="标题和内容的SHA-256，用于去重"
    )
    # The appeal this decision was made on. A plain integer, not a foreign key: the triage app was
    # built before the appeals desk and must not depend on it, and an example stays useful for
    # training after its appeal is archived or deleted.
    appeal_id = models.PositiveBigIntegerField("诉求编号", null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="决定人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "训练样本"
        verbose_name_plural = "训练样本"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.category_name}：{(self.title or self.body)[:30]}"

    @property
    def category_name(self) -> str:
        """The category's current name: the desk category's when the example refers to one."""
        return self.desk_category.name if self.desk_category_id and self.desk_category else self.label

    @property
    def is_correction(self) -> bool:
        return bool(self.suggested) and self.suggested != self.label


class ModelVersion(models.Model):
    """A trained classifier: its file (checked by SHA-256 on every load), the data it saw and its
    cross-validated scores. At most one is active; the rest are kept for rollback."""

    number = models.PositiveIntegerField("版本号", unique=True)
    file_name = models.CharField("模型文件", max_length=200, help_text="相对于模型目录")
    sha256 = models.CharField("SHA-256", max_length=64)
    size_bytes = models.PositiveBigIntegerField("文件大小（字节）", default=0)
    training_size = models.PositiveIntegerField("训练样本数")
    labels = models.JSONField("分类", default=list)
    # The model file names its classes as they were called at training; this maps each name to the
    # desk category's key, so that a suggestion shows the category's current name after a rename.
    category_keys = models.JSONField(
        "分类主键", default=dict, blank=True, help_text="训练时的分类名称 → 诉求分类主键"
    )
    cv_folds = models.PositiveSmallIntegerField("交叉验证折数", default=5)
    cv_macro_f1 = models.FloatField("交叉验证宏F1")
    cv_accuracy = models.FloatField("交叉验证准确率")
    cv_top3 = models.FloatField("交叉验证前三召回率")
    cv_report = models.JSONField("交叉验证明细", default=dict, blank=True)
    train_seconds = models.FloatField("训练耗时（秒）", default=0)
    is_active = models.BooleanField("当前启用", default=False)
    activated_at = models.DateTimeField("最近启用时间", null=True, blank=True)
    notes = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="训练发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("训练时间", auto_now_add=True)

    class Meta:
        verbose_name = "模型版本"
        verbose_name_plural = "模型版本"
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="triage_one_active_model"
            ),
        ]
        permissions = [
            ("use_triage", "使用智能研判建议"),
            ("manage_models", "训练、启用和回退研判模型"),
        ]

    def __str__(self) -> str:
        return f"v{self.number}（宏F1 {self.cv_macro_f1:.3f}）"

    @property
    def path(self) -> Path:
        return model_dir() / self.file_name


class HotIssueSnapshot(models.Model):
    """One computation of a period's hot issues: when, by whom, how many were found. It says that a
    period was computed even when nothing was found, and its row is locked while the period's
    issues are replaced, so that two refreshes of one period cannot interleave."""

    period_start = models.DateField("统计起始日")
    period_end = models.DateField("统计截止日")
    computed_at = models.DateTimeField("计算时间")
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="计算发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="为空表示定时任务",
    )
    appeal_count = models.PositiveIntegerField("参与计算的诉求数", default=0)
    found = models.PositiveIntegerField("找到的热点数", default=0)
    seconds = models.FloatField("耗时（秒）", default=0)

    class Meta:
        verbose_name = "热点问题计算"
        verbose_name_plural = "热点问题计算"
        ordering = ["-period_end", "-computed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end"], name="hotissue_one_snapshot_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")), name="hotissue_snapshot_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d}至{self.period_end:%Y-%m-%d}"


class HotIssueStatus(models.TextChoices):
    PENDING = "pending", "待处置"
    TASKED = "tasked", "已生成任务"
    DISMISSED = "dismissed", "已忽略"


class HotIssue(models.Model):
    """热点问题 — one issue found among a period's appeals (未诉先办): many people, one matter, one
    place. A snapshot row: ``refresh_hot_issues`` replaces a period's pending rows, and keeps those
    already acted on (a task created, or dismissed) as the record of what was done."""

    period_start = models.DateField("统计起始日")
    period_end = models.DateField("统计截止日")
    rank = models.PositiveIntegerField("排名")
    heat = models.FloatField("热度指数", help_text="0–100，同一时段内各热点相互比较")
    appeal_count = models.PositiveIntegerField("诉求数")
    people = models.PositiveIntegerField("诉求人数", help_text="不同诉求人（按诉求人或联系电话区分）")
    concentration = models.FloatField("时间集中度", help_text="最集中的7天内的诉求占比，1为全部在一周内")
    support = models.PositiveIntegerField("附议数", default=0, help_text="并入这些诉求的重复诉求数")
    components = models.JSONField("热度分项", default=dict, blank=True)
    description = models.CharField("问题概述", max_length=200)
    place = models.CharField("主要地点", max_length=200, blank=True)
    places = models.JSONField("涉及地点", default=list, blank=True)
    first_at = models.DateTimeField("最早诉求时间", null=True, blank=True)
    last_at = models.DateTimeField("最近诉求时间", null=True, blank=True)
    members = models.ManyToManyField(
        "appeals.Appeal", verbose_name="相关诉求", related_name="hot_issues", blank=True
    )
    computed_at = models.DateTimeField("计算时间", db_index=True)
    status = models.CharField(
        "状态", max_length=20, choices=HotIssueStatus.choices, default=HotIssueStatus.PENDING, db_index=True
    )
    task = models.ForeignKey(
        "appeals.Appeal",
        verbose_name="主动治理任务",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proactive_for",
    )
    tasked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="任务生成人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tasked_at = models.DateTimeField("任务生成时间", null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="忽略人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismissed_at = models.DateTimeField("忽略时间", null=True, blank=True)
    dismiss_reason = models.CharField("忽略理由", max_length=500, blank=True)

    class Meta:
        verbose_name = "热点问题"
        verbose_name_plural = "热点问题"
        ordering = ["-period_end", "rank", "id"]
        indexes = [
            models.Index(fields=["period_start", "period_end", "rank"], name="hotissue_period_rank"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="tasked") | Q(task__isnull=False),
                name="hotissue_tasked_has_task",
                violation_error_message="已生成任务的热点问题须关联主动治理任务",
            ),
            models.UniqueConstraint(
                fields=["task"], condition=Q(task__isnull=False), name="hotissue_one_issue_per_task"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")), name="hotissue_period_order"
            ),
        ]
        permissions = [("create_proactive_task", "生成主动治理任务")]

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m-%d}至{self.period_end:%Y-%m-%d} #{self.rank} {self.description}"

    @property
    def is_pending(self) -> bool:
        return self.status == HotIssueStatus.PENDING

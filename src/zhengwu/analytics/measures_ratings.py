"""好差评 measures and indicators (DESIGN.md §6); registered on import by measures.py.

The definitions are the ratings part's own, so that the statistics pages and the 好差评 pages
never disagree:

- 评价数, 好评率, 差评率, 差评整改率 and 回访率 as ``ratings.services.Figures`` over the ratings
  rated in the period (``ratings.figures.figures_by``): every round counts (a 追评 is a rating of
  its own), a rating excluded by an upheld 申诉 counts in none of them;
- 主动评价率 as ``ratings.invitations.response_rates``: matters finished in the period (办件办结
  or 终止, 一件事办结, 诉求办结) that got a first-round rating no 邀评 and no 电话抽样 brought, over
  the matters finished in the period.

A rating counts for its own department (谁办理谁负责, fixed when rated), window, staff member and
item. A rating is never edited, but three things change what it counts for after the day it was
rated: an upheld 申诉 (its contest row is saved), its 差评整改 closing or being verified (the case
row is saved), and, for 主动评价, the rating arriving after the matter finished. The sources'
``changed`` paths are those rows' timestamps, so the incremental roll-up re-rolls the day the
rating counts on.
"""

from __future__ import annotations

from django.db.models import DateTimeField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from zhengwu.applications.models import Application, BundleApplication
from zhengwu.ratings.models import (
    BAD_LEVELS,
    GOOD_LEVELS,
    PhoneSample,
    Rating,
    RatingInvitation,
    Rectification,
    RectificationState,
)

from . import indicators as ind
from .measures import Measure, Source, register

FAMILY = "好差评"
FINISHED_AT = "analytics_finished_at"


def _describe_rating(r: Rating) -> tuple[str, str, str]:
    return r.matter_number, f"{r.get_level_display()}（第{r.round}次评价）", ""


RATINGS = Source(
    key="rating",
    label="好差评",
    queryset=lambda: Rating.objects.all(),
    department="department_id",
    dims={"window": "window_id", "staff": "staff_id", "item": "item_id", "channel": "channel"},
    changed=("rated_at", "rectification__updated_at", "contests__updated_at"),
    describe=_describe_rating,
)


def _rated_matters() -> QuerySet[Rating]:
    """Ratings with the time their matter finished, as ``_finished_keys`` reads it."""
    return Rating.objects.annotate(
        **{
            FINISHED_AT: Coalesce(
                "application__completed_at",
                "application__closed_at",
                "bundle_application__completed_at",
                "appeal__closed_at",
                output_field=DateTimeField(),
            )
        }
    )


RATED_MATTERS = Source(
    key="rating_matter",
    label="好差评（按办结时间）",
    queryset=_rated_matters,
    department="department_id",
    dims={"window": "window_id", "staff": "staff_id", "item": "item_id"},
    # The matter finishes before it is rated: a new rating re-rolls its matter's day.
    changed=("rated_at",),
    describe=_describe_rating,
)

# The matters that may be rated, finished (the denominator of 主动评价率): applications and
# 一件事办件 here; appeals are the 12345 source's own (办结件数).
FINISHED_APPLICATIONS = Source(
    key="rating_finished_application",
    label="办结办件（应评价）",
    queryset=lambda: Application.objects.annotate(
        **{FINISHED_AT: Coalesce("completed_at", "closed_at", output_field=DateTimeField())}
    ),
    department="department_id",
    dims={"window": "window_id", "item": "item_id"},
    changed=("updated_at",),
    history="events__at",
    describe=lambda a: (a.number, "办件", ""),
)
FINISHED_BUNDLES = Source(
    key="rating_finished_bundle",
    label="办结一件事（应评价）",
    queryset=lambda: BundleApplication.objects.annotate(
        analytics_department_id=F("accepted_by__department_id")
    ),
    department="analytics_department_id",
    dims={"window": "window_id"},
    changed=("updated_at",),
    describe=lambda b: (b.number, "一件事办件", ""),
)

COUNTED = Q(excluded=False)
GOOD = COUNTED & Q(level__in=GOOD_LEVELS)
BAD = COUNTED & Q(level__in=BAD_LEVELS)
_CASE = Rectification.objects.filter(rating=OuterRef("pk"))
RECTIFIED = Exists(_CASE.filter(state=RectificationState.CLOSED))
VERIFIED = Exists(_CASE.filter(verified_at__isnull=False))
# 主动评价: a first-round rating neither an invitation nor a phone sample brought; one per matter
# (the first such rating of it), as response_rates counts distinct matters.
_ACTIVE = (
    Q(round=1)
    & ~Q(Exists(RatingInvitation.objects.filter(rating=OuterRef("pk"))))
    & ~Q(Exists(PhoneSample.objects.filter(rating=OuterRef("pk"))))
)
_EARLIER_ACTIVE = Exists(
    Rating.objects.filter(matter_key=OuterRef("matter_key"), round=1, pk__lt=OuterRef("pk"))
    .exclude(Exists(RatingInvitation.objects.filter(rating=OuterRef("pk"))))
    .exclude(Exists(PhoneSample.objects.filter(rating=OuterRef("pk"))))
)
ACTIVE = _ACTIVE & ~Q(_EARLIER_ACTIVE) & Q(**{f"{FINISHED_AT}__isnull": False})

register(
    Measure(
        "rating_count",
        "评价数",
        RATINGS,
        at="rated_at",
        where=COUNTED,
        definition="评价时间在期间内、计入统计的评价（含追评，申诉成立的不计）",
    ),
    Measure(
        "rating_good",
        "好评数",
        RATINGS,
        at="rated_at",
        where=GOOD,
        definition="计入统计的评价中，非常满意、满意或基本满意的",
    ),
    Measure(
        "rating_bad",
        "差评数",
        RATINGS,
        at="rated_at",
        where=BAD,
        definition="计入统计的评价中，不满意或非常不满意的",
    ),
    Measure(
        "rating_bad_rectified",
        "差评已整改数",
        RATINGS,
        at="rated_at",
        where=BAD & Q(RECTIFIED),
        definition="计入统计的差评中，整改已办结的",
    ),
    Measure(
        "rating_bad_real_name",
        "实名差评数",
        RATINGS,
        at="rated_at",
        where=BAD & Q(real_name=True),
        definition="计入统计的差评中，实名评价的",
    ),
    Measure(
        "rating_bad_real_name_verified",
        "实名差评已回访数",
        RATINGS,
        at="rated_at",
        where=BAD & Q(real_name=True) & Q(VERIFIED),
        definition="计入统计的实名差评中，已回访核实的",
    ),
    Measure(
        "rating_active_matters",
        "主动评价办结件数",
        RATED_MATTERS,
        at=FINISHED_AT,
        where=ACTIVE,
        definition="办结时间在期间内、有未经邀评和电话抽样的首次评价的办件、一件事和诉求（每件只计一次，评价时间不限）",
    ),
    Measure(
        "rating_finished_applications",
        "办结办件数（应评价）",
        FINISHED_APPLICATIONS,
        at=FINISHED_AT,
        where=Q(**{f"{FINISHED_AT}__isnull": False}),
        definition="办结时间（未办结而终止的为结束时间）在期间内的办件",
    ),
    Measure(
        "rating_finished_bundles",
        "办结一件事数（应评价）",
        FINISHED_BUNDLES,
        at="completed_at",
        where=Q(completed_at__isnull=False),
        definition="办结时间在期间内的一件事办件",
    ),
)


def _rate(key: str, name: str, num: str, den: str, definition: str, **kwargs: bool) -> ind.Indicator:
    return ind.rate(FAMILY, key, name, num, den, definition, **kwargs)


ind.register(
    ind.Indicator(
        "rating_count",
        "评价数",
        FAMILY,
        "件",
        "rating_count",
        definition="期间内收到的、计入统计的评价件数：各渠道、各轮次（追评另计），申诉成立的不计",
        public=True,
    ),
    ind.Indicator(
        "rating_active_rate",
        "主动评价率",
        FAMILY,
        "%",
        "rating_active_matters",
        ("rating_finished_applications", "rating_finished_bundles", "appeal_closed"),
        kind="rate",
        definition="期间内办结的办件、一件事和诉求中，办事人未经邀评和电话抽样而主动作出首次评价的比例",
    ),
    _rate(
        "rating_good_rate",
        "好评率",
        "rating_good",
        "rating_count",
        "期间内计入统计的评价中，非常满意、满意、基本满意的比例",
        public=True,
    ),
    _rate(
        "rating_bad_rate",
        "差评率",
        "rating_bad",
        "rating_count",
        "期间内计入统计的评价中，不满意、非常不满意的比例",
        better=False,
        public=True,
    ),
    _rate(
        "rating_rectified_rate",
        "差评整改率",
        "rating_bad_rectified",
        "rating_bad",
        "期间内收到的计入统计的差评中，整改已办结的比例",
    ),
    _rate(
        "rating_verified_rate",
        "回访率",
        "rating_bad_real_name_verified",
        "rating_bad_real_name",
        "期间内收到的计入统计的实名差评中，已回访核实的比例（要求100%）",
    ),
)

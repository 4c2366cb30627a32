"""排行榜 — departments, windows and county-level regions ranked by a weighted score of indicators.

The scheme of each subject (``RankingScheme`` with its ``RankingWeight`` rows) names indicators
and their weights in per cent. For a period, each ranked subject's indicator values are read from
the roll-up (figures.breakdown) and scaled to 0–100 points (``SCALING_RULE``):

- a rate (unit %) counts as it is (按时办结率 96.5% → 96.5 points); a rate where lower is better
  (超期率, 差评率) counts as 100 − the rate;
- a count or an average (受理量, 平均办理时长) is min–max normalised across the ranked subjects:
  (value − lowest) ÷ (highest − lowest) × 100, the highest getting 100 and the lowest 0 (inverted
  where lower is better); when all are equal, each gets 100.

score = Σ weight% × points. An indicator a subject has no value for (no 办结 to take a rate of)
scores nothing and its weight is shared out over the subject's other indicators (the score is
Σ weight × points ÷ Σ weight of those it has values for), so missing data is never a zero.
A weight naming an indicator that does not exist (yet) is left out the same way, and the page
says so. The ranking of the period before, by the same scheme, gives the movement (↑2, ↓1, 新).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from zhengwu.core.errors import InvalidInput, NotFound

from . import figures
from .indicators import INDICATORS, Indicator, format_value
from .models import RankingScheme, RankingSubject
from .periods import Period

SUBJECTS = dict(RankingSubject.choices)
# The breakdown each subject is read from, and the key that is not a subject of its own.
BREAKDOWN = {"department": "department", "window": "window", "region": "region"}
NOT_RANKED = {"department": {"0"}, "window": set(), "region": {figures.CITY_KEY}}

SCALING_RULE = (
    "率类指标（单位为%）按原值计分（如按时办结率96.5%计96.5分），越低越好的率按“100 − 率”计分；"
    "数量和时长类指标在参与排名的对象之间按最小—最大值折算：（本对象值 − 最低值）÷（最高值 − 最低值）× 100，"
    "最高者100分、最低者0分，越低越好的指标反过来计；各对象相同时均计100分。"
    "某对象某项指标没有数据（如没有办结件，无从计算按时办结率）时该项不计分，"
    "其权重按比例分摊到该对象有数据的其他指标，缺数据不按0分计。"
)
HUNDRED = Decimal(100)
POINTS = Decimal("0.01")


def subject_of(value: str | None) -> str:
    text = (value or "department").strip()
    if text not in SUBJECTS:
        raise InvalidInput(
            f"排名对象应为{'、'.join(f'{v}（{k}）' for k, v in SUBJECTS.items())}，收到“{text[:20]}”",
            field="subject",
        )
    return text


def last_place_count(ranked: int) -> int:
    """How many of the last places are named as such: three where at least ten are ranked, one
    where fewer (two subjects are not 'the last three')."""
    if ranked == 0:
        return 0
    return 3 if ranked >= 10 else 1


@dataclass(frozen=True)
class Part:
    """One weighted indicator of a scheme, as used."""

    indicator: Indicator
    weight: Decimal

    @property
    def words(self) -> str:
        return f"{self.indicator.name}得分 × {self.weight.normalize():f}%"


@dataclass
class Cell:
    value: Decimal | None
    points: Decimal | None
    text: str
    name: str = ""
    url: str = ""


@dataclass
class Row:
    key: str
    label: str
    score: Decimal | None
    cells: list[Cell]
    rank: int | None = None
    previous_rank: int | None = None
    last_place: bool = False

    @property
    def movement(self) -> str:
        if self.rank is None:
            return ""
        if self.previous_rank is None:
            return "新"
        change = self.previous_rank - self.rank
        if change > 0:
            return f"↑{change}"
        if change < 0:
            return f"↓{-change}"
        return "—"

    @property
    def movement_class(self) -> str:
        m = self.movement
        return {"↑": "up", "↓": "down", "新": "new"}.get(m[:1], "same")


@dataclass
class Ranking:
    subject: str
    scheme: RankingScheme
    period: Period
    parts: list[Part]
    ignored: list[tuple[str, Decimal]]  # weights whose indicator does not exist
    rows: list[Row] = field(default_factory=list)
    previous_period: Period | None = None
    no_breakdown: list[str] = field(default_factory=list)  # indicators no subject has a value of

    @property
    def subject_label(self) -> str:
        return SUBJECTS[self.subject]

    @property
    def formula(self) -> str:
        if not self.parts:
            return "综合得分：方案中没有可用的指标"
        terms = " + ".join(p.words for p in self.parts)
        if self.weight_used == HUNDRED:
            return f"综合得分 = {terms}"
        return f"综合得分 = （{terms}）÷ {self.weight_used.normalize():f}%"

    @property
    def weight_used(self) -> Decimal:
        return sum((p.weight for p in self.parts), Decimal(0))

    @property
    def ranked(self) -> list[Row]:
        return [r for r in self.rows if r.rank is not None]

    @property
    def last_places(self) -> list[Row]:
        return [r for r in self.rows if r.last_place]


def scheme_for(subject: str) -> RankingScheme:
    scheme = RankingScheme.objects.filter(subject=subject).prefetch_related("weights").first()
    if scheme is None:
        raise NotFound(f"尚未设置{SUBJECTS[subject]}排名方案，请管理员在管理后台添加", field="subject")
    return scheme


def parts_of(scheme: RankingScheme) -> tuple[list[Part], list[tuple[str, Decimal]]]:
    parts: list[Part] = []
    ignored: list[tuple[str, Decimal]] = []
    for w in sorted(scheme.weights.all(), key=lambda w: (-w.weight, w.indicator)):
        ind = INDICATORS.get(w.indicator)
        if ind is None:
            ignored.append((w.indicator, w.weight))
        else:
            parts.append(Part(ind, w.weight))
    return parts, ignored


def scale(ind: Indicator, value: Decimal | None, low: Decimal | None, high: Decimal | None) -> Decimal | None:
    """An indicator's value as 0–100 points (SCALING_RULE)."""
    if value is None:
        return None
    if ind.kind == "rate":
        points = min(max(value, Decimal(0)), HUNDRED)
        return points if ind.higher_is_better else HUNDRED - points
    if low is None or high is None or high == low:
        return HUNDRED
    points = (value - low) / (high - low) * HUNDRED
    return points if ind.higher_is_better else HUNDRED - points


def score(parts: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal | None:
    """Σ weight × points ÷ Σ weight over the parts with points, in points (0–100)."""
    total = Decimal(0)
    weight = Decimal(0)
    for w, points in parts:
        if points is not None:
            total += w * points
            weight += w
    if weight == 0:
        return None
    return (total / weight).quantize(POINTS, rounding=ROUND_HALF_UP)


def _scored(
    subject: str, parts: list[Part], period: Period, department_ids: Iterable[int] | None
) -> list[tuple[str, Decimal | None, list[tuple[Decimal | None, Decimal | None]], dict[str, int]]]:
    inds = [p.indicator for p in parts]
    data = figures.breakdown(
        figures.measures_for(inds),
        period.start,
        period.end,
        BREAKDOWN[subject],
        department_ids=department_ids,
    )
    keys = [k for k in data if k not in NOT_RANKED[subject]]
    values = {k: figures.values(inds, data[k]) for k in keys}
    out = []
    bounds: dict[str, tuple[Decimal | None, Decimal | None]] = {}
    for ind in inds:
        present = [v[ind.key] for v in values.values() if v[ind.key] is not None]
        bounds[ind.key] = (min(present), max(present)) if present else (None, None)  # type: ignore[type-var]
    for k in keys:
        cells = []
        for p in parts:
            v = values[k][p.indicator.key]
            cells.append((v, scale(p.indicator, v, *bounds[p.indicator.key])))
        s = score((p.weight, c[1]) for p, c in zip(parts, cells, strict=True))
        out.append((k, s, cells, data[k]))
    return out


def _ranks(scores: dict[str, Decimal | None]) -> dict[str, int]:
    """Standard competition ranking (1, 2, 2, 4) by score, highest first; no score, no rank."""
    ordered = sorted((s, k) for k, s in scores.items() if s is not None)
    ordered.reverse()
    ranks: dict[str, int] = {}
    for i, (s, k) in enumerate(ordered):
        ranks[k] = ranks[ordered[i - 1][1]] if i and ordered[i - 1][0] == s else i + 1
    return ranks


def records_base() -> str:
    try:
        return reverse("analytics:records")
    except NoReverseMatch:  # the records page is mounted with the dashboards
        return "/stats/records/"


def records_url(
    measure: str,
    period: Period,
    *,
    department: str = "",
    region: str = "",
    dim: str = "",
    key: str = "",
    base: str | None = None,
) -> str:
    """The drill-down to the records behind a figure, built the same way for every figure."""
    params = {"measure": measure, "period": period.value}
    for name, value in (("department", department), ("region", region), ("dim", dim), ("key", key)):
        if value:
            params[name] = value
    return f"{base or records_base()}?{urlencode(params)}"


def _link(subject: str, key: str, measure: str, period: Period, base: str) -> str:
    if subject == "department":
        return records_url(measure, period, department=key, base=base)
    if subject == "region":
        return records_url(measure, period, region=key, base=base)
    return records_url(measure, period, dim="window", key=key, base=base)


def rank(
    subject: str,
    period: Period,
    *,
    drill_down: Iterable[str] | None = None,
) -> Ranking:
    """The ranking of ``subject`` for ``period``. Every subject is ranked (names and scores of all
    are shown to whoever may see statistics); ``drill_down``: the keys whose figures link to their
    records (None: all)."""
    scheme = scheme_for(subject)
    parts, ignored = parts_of(scheme)
    ranking = Ranking(subject, scheme, period, parts, ignored)
    if not parts:
        return ranking
    current = _scored(subject, parts, period, None)
    first = figures.data_start()
    previous_ranks: dict[str, int] = {}
    prev = period.previous()
    if first is not None and prev.start >= first:
        ranking.previous_period = prev
        previous_ranks = _ranks({k: s for k, s, _, _ in _scored(subject, parts, prev, None)})
    ranks = _ranks({k: s for k, s, _, _ in current})
    names = figures.labels(BREAKDOWN[subject], [k for k, *_ in current])
    allowed = None if drill_down is None else set(drill_down)
    base = records_base()
    for k, s, cells, _ in current:
        row_cells = []
        for p, (v, points) in zip(parts, cells, strict=True):
            url = (
                ""
                if allowed is not None and k not in allowed
                else _link(subject, k, p.indicator.numerator, period, base)
            )
            row_cells.append(Cell(v, points, format_value(p.indicator, v), p.indicator.name, url))
        ranking.rows.append(Row(k, names.get(k, k), s, row_cells, ranks.get(k), previous_ranks.get(k)))
    ranking.rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.label))
    ranked = ranking.ranked
    n_last = last_place_count(len(ranked))
    if n_last:
        cutoff = ranked[-n_last].rank
        for r in ranked:
            r.last_place = r.rank is not None and cutoff is not None and r.rank >= cutoff
    ranking.no_breakdown = [
        p.indicator.name for i, p in enumerate(parts) if all(r.cells[i].value is None for r in ranking.rows)
    ]
    return ranking

"""Indicators (指标): the figures leaders and windows are judged by, each defined once from the
measures — a count (受理量), a rate (按时办结率 = 按时办结件数 ÷ 办结量 × 100%) or an average
(平均办理时长 = 办理时长合计 ÷ 办结量). Each carries its Chinese name, definition and unit; its
formula is written out from the measures it reads (``formula``), and ``__doc__`` of the entry
says both.

A rate or average whose denominator is 0 has no value (None, shown “—”), never a zero standing in
for missing data; a family whose part has no records at all is left out (``available``).

The families register their indicators in their measure modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from zhengwu.core.errors import InvalidInput

FAMILIES = ("办件", "12345", "好差评", "大厅")


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    family: str
    unit: str  # 件, %, 个工作日, 分钟, 次, 元 …
    numerator: str  # measure key
    # A rate's or average's measure, or several summed (主动评价率: the finished matters of three parts)
    denominator: str | tuple[str, ...] | None = None
    kind: str = "count"  # count | rate | average
    definition: str = ""
    higher_is_better: bool = True
    public: bool = False  # shown to the public (no personal data either way)
    places: int = 1  # decimal places shown

    def __post_init__(self) -> None:
        if self.kind not in ("count", "rate", "average"):
            raise ValueError(f"indicator {self.key}: kind {self.kind!r}")
        if (self.kind == "count") != (self.denominator is None):
            raise ValueError(f"indicator {self.key}: a count has no denominator, a rate/average has one")
        object.__setattr__(self, "__doc__", f"{self.name}：{self.definition}\n{self.formula}")

    @property
    def denominators(self) -> tuple[str, ...]:
        if self.denominator is None:
            return ()
        return (self.denominator,) if isinstance(self.denominator, str) else self.denominator

    @property
    def measures(self) -> tuple[str, ...]:
        return (self.numerator, *self.denominators)

    @property
    def formula(self) -> str:
        num = MEASURES[self.numerator]
        if self.kind == "count":
            return f"{self.name} = {num.name}"
        den = "＋".join(MEASURES[d].name for d in self.denominators)
        if len(self.denominators) > 1:
            den = f"（{den}）"
        if self.kind == "rate":
            return f"{self.name} = {num.name} ÷ {den} × 100%"
        return f"{self.name} = {num.name} ÷ {den}"

    def value(self, sums: dict[str, int]) -> Decimal | None:
        """The indicator from the measures' sums (stored units); None when a rate or average has
        nothing to divide by."""
        num = MEASURES[self.numerator]
        n = Decimal(sums.get(self.numerator, 0)) / num.scale
        if self.kind == "count":
            return n.quantize(Decimal(1) if num.scale == 1 else Decimal("0.01"), rounding=ROUND_HALF_UP)
        d = sum((Decimal(sums.get(k, 0)) / MEASURES[k].scale for k in self.denominators), Decimal(0))
        if d == 0:
            return None
        v = n / d * (100 if self.kind == "rate" else 1)
        return v.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)


def rate(
    family: str,
    key: str,
    name: str,
    num: str,
    den: str,
    definition: str,
    *,
    better: bool = True,
    public: bool = False,
) -> Indicator:
    """A percentage of one measure over another, the commonest indicator."""
    return Indicator(
        key,
        name,
        family,
        "%",
        num,
        den,
        kind="rate",
        definition=definition,
        higher_is_better=better,
        public=public,
    )


INDICATORS: dict[str, Indicator] = {}


def register(*indicators: Indicator) -> None:
    for i in indicators:
        if i.key in INDICATORS:
            raise ValueError(f"indicator {i.key!r} defined twice")
        if i.family not in FAMILIES:
            raise ValueError(f"indicator {i.key!r}: family {i.family!r}")
        missing = [m for m in i.measures if m not in MEASURES]
        if missing:
            raise ValueError(f"indicator {i.key!r}: unknown measures {missing}")
        INDICATORS[i.key] = i


def indicator(key: str) -> Indicator:
    try:
        return INDICATORS[key]
    except KeyError:
        raise InvalidInput(f"未知的统计指标“{key[:40]}”", field="indicator") from None


def of_family(family: str) -> list[Indicator]:
    return [i for i in INDICATORS.values() if i.family == family]


def format_value(ind: Indicator, value: Decimal | None) -> str:
    if value is None:
        return "—"
    if ind.kind == "count" and value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value:,.{ind.places}f}"


# Imported last: measures.py imports the family modules, which register into INDICATORS above.
from .measures import MEASURES  # noqa: E402

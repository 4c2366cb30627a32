"""Place extraction for near-duplicates and hot issues.

Place names in the 12345 data are pseudonymised but keep their structure: ``A市``, ``A3区``,
``K8县`` for administrative units, and ordinary names for what the citizen can see — 小区, 路,
学校, 医院, 村. "Same matter, same place" needs both, so we pull them out with rules rather than a
statistical tagger: the names are made up, so no dictionary or model would know them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# A市 (city), A3区 / K8县 (districts and counties). Upper-case letters, then digits.
ADMIN = re.compile(r"(?<![A-Za-z0-9])[A-Z]\d{0,2}[市区县]")

# Suffixes that end a place or target name, longest first so that 小学 wins over 学.
_SUFFIXES = sorted(
    [
        "小区",
        "花园",
        "公寓",
        "家园",
        "新城",
        "新村",
        "苑",
        "大厦",
        "广场",
        "商场",
        "市场",
        "公园",
        "大道",
        "路",
        "街",
        "巷",
        "街道",
        "社区",
        "村",
        "镇",
        "乡",
        "学校",
        "小学",
        "中学",
        "大学",
        "学院",
        "幼儿园",
        "医院",
        "卫生院",
        "高铁站",
        "火车站",
        "地铁站",
        "汽车站",
        "机场",
        "公司",
        "物业",
        "集团",
        "银行",
        "工厂",
        "酒店",
        "宾馆",
        "大桥",
        "隧道",
        "水库",
        "景区",
        "园区",
        "工业园",
        "楼盘",
        "项目",
    ],
    key=len,
    reverse=True,
)
_SUFFIX = re.compile("|".join(map(re.escape, _SUFFIXES)))
_SUFFIX_AT_END = re.compile(f"(?:{'|'.join(map(re.escape, _SUFFIXES))})+$")
# Characters that rarely start or sit inside a proper name but often precede one ("在…小区").
_STOP_CHARS = set(
    "的在于是系了和与及对向到从把被给为我你他她们请将让至往近旁该此这那其各有无个等省而距临靠如诺起括"
)
# Leading words a citizen writes before the name: 反映… / 位于… / 本人…
_LEADING_WORDS = (
    "反映", "投诉", "举报", "咨询", "关于", "位于", "地处", "座落", "坐落", "建议", "希望", "要求", "请求", "本人", "居住",
    "住在", "家住", "现住", "目前", "现在", "新建", "附近", "周边", "例如", "比如", "包括", "引起", "开展", "承诺",
)  # fmt: skip
_LEADING = re.compile(f"^({'|'.join(_LEADING_WORDS)})+")
_LEADING_FIRST = {w[0] for w in _LEADING_WORDS}  # most names start otherwise: skip the regex
# Compounds that end in a suffix but name no particular place.
_GENERIC = {
    "道路", "马路", "水泥路", "柏油路", "砂石路", "泥巴路", "公路", "铁路", "出路", "思路", "一路", "线路", "门路", "网路", "半路", "水路", "小路",
    "本村", "全村", "农村", "乡村", "城乡", "本组", "小组", "班组", "全镇", "乡镇", "城镇", "本镇",
    "该小区", "本小区", "小区", "老旧小区", "各小区", "周边小区", "整个小区", "我们小区", "所在小区",
    "社区", "本社区", "所在社区", "学校", "本学校", "该学校", "各学校", "小学", "中学", "大学", "医院",
    "公司", "该公司", "本公司", "物业", "该物业", "物业公司", "集团", "银行", "市场", "农贸市场",
    "街道", "大街", "街巷", "公园", "广场", "项目", "该项目", "工厂", "幼儿园", "民办幼儿园",
}  # fmt: skip
# Where the matter is, citizens say first (title and opening sentence); further down come the
# roads they took and the offices they called. Callers extract from this many characters.
PLACE_CHARS = 300
# How far back a name may reach: short for one-character suffixes (路, 村), where a long run of
# characters before it is more likely a sentence than a name ("…能建设过街天桥").
_MAX_NAME_SHORT_SUFFIX = 6
_MAX_NAME = 10
# A suffix followed by these is a different word: 村民, 街坊, 路费 …
_NOT_SUFFIX_BEFORE = {"村": "民委里", "街": "坊头", "路": "费过况", "镇": "压静定", "乡": "亲下"}


@dataclass(frozen=True)
class Places:
    """Administrative units (A市, A3区) and named places or targets (魅力之城小区, 汇金路)."""

    admin: tuple[str, ...] = ()
    named: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    # Bigrams of the named places without their suffix (丽发新城 → 丽发): compared, not shown.
    stems: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def all(self) -> tuple[str, ...]:
        return self.admin + self.named


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _suffix_pattern() -> str:
    items = []
    for suffix in _SUFFIXES:
        after = _NOT_SUFFIX_BEFORE.get(suffix)
        items.append(re.escape(suffix) + (f"(?![{after}])" if after else ""))
    return "|".join(items)


# The name before a suffix: the longest run of name characters that ends there.
_TAIL = re.compile(f"[^\\W_{''.join(sorted(_STOP_CHARS))}]*$")
# One or more suffixes in a row (杜鹃文苑小区: 苑 + 小区), each unless followed by what makes it
# another word (村民, 路费). The lookahead on first characters lets the engine skip most positions
# without trying ~60 alternatives at each.
_SUFFIX_RUN = re.compile(f"(?:(?=[{''.join(sorted({x[0] for x in _SUFFIXES}))}])(?:{_suffix_pattern()}))+")


def extract_places(text: str) -> Places:
    """Places in order of first mention. ``districts`` are the admin units below the city (区, 县),
    the level at which two messages can be said to be about different places.

    A name is the run of name characters before a suffix, starting after a stop character,
    punctuation, an admin unit or the previous name (春华镇金鼎村 → 春华镇, 金鼎村)."""
    text = text or ""
    admin = ADMIN.findall(text)
    # Admin units end a name's run ("A3区联丰路" → 联丰路): mask them with a stop character.
    masked = ADMIN.sub(lambda m: "的" * len(m.group()), text) if admin else text
    named: list[str] = []
    previous = 0
    for m in _SUFFIX_RUN.finditer(masked):
        start, suffix = m.start(), m.group()
        window = max(previous, start - _MAX_NAME - 1)
        previous = m.end()
        tail = _TAIL.search(masked, window, start)
        name = tail.group() if tail else ""
        if len(name) > (_MAX_NAME_SHORT_SUFFIX if len(suffix) == 1 else _MAX_NAME):
            # A long run before 路 or 村 is a sentence, not a name ("…能建设过街天桥"); before
            # 小区 or 学校 the name is at its end.
            if len(suffix) == 1:
                continue
            name = name[-_MAX_NAME:]
        if name and name[0] in _LEADING_FIRST:
            name = _LEADING.sub("", name)
        if len(name) < 2 or name.isdigit() or name in _GENERIC or name + suffix in _GENERIC:
            continue
        named.append(name + suffix)
    districts = [a for a in admin if not a.endswith("市")]
    named_unique = _unique(named)
    return Places(
        admin=_unique(admin),
        named=named_unique,
        districts=_unique(districts),
        stems=_stem_bigrams(named_unique),
    )


def _stem_bigrams(named: tuple[str, ...]) -> frozenset[str]:
    """Bigrams of the named places without their suffix: 丽发新城 → {丽发}; "丽发小区" matches."""
    grams: set[str] = set()
    for name in named:
        stem = _SUFFIX_AT_END.sub("", name) or name
        grams.update(stem[i : i + 2] for i in range(len(stem) - 1))
    return frozenset(grams)


def places_conflict(a: Places, b: Places) -> bool:
    """Two messages are about different places when both name a district and they share none, or
    both name places and no name has a bigram in common with the other's. Names are compared by
    bigrams because citizens write the same estate three ways (丽发新城, 丽发小区, 丽发新城二期)."""
    if a.districts and b.districts and set(a.districts).isdisjoint(b.districts):
        return True
    return bool(a.stems and b.stems and a.stems.isdisjoint(b.stems))


def main_place(members: list[Places]) -> str:
    """The place of a group: its most mentioned district (or city) followed by its most mentioned
    named place, each only if at least a third of the members mention it."""
    n = len(members)
    parts: list[str] = []
    for pick in (lambda p: p.districts or p.admin, lambda p: p.named):
        counts = Counter(name for p in members for name in pick(p))
        if counts:
            name, c = counts.most_common(1)[0]
            if c * 3 >= n:
                parts.append(name)
    return " ".join(parts)

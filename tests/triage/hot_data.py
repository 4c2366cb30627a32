"""Appeals in the database for the 热点问题 tests: the three issues planted in test_hotspots.py
(a sewer in A3区, night-time building work, pension questions) among unrelated appeals, each
registered through the appeals services; one person is one phone number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zhengwu.appeals import services as appeals
from zhengwu.appeals.models import Appeal

from .test_hotspots import NOISE_AT_NIGHT, OTHERS, PENSION, SEWER


@dataclass
class Planted:
    by_key: dict[str, Appeal] = field(default_factory=dict)

    def ids(self, messages: list[Any]) -> list[int]:
        return sorted(self.by_key[m.id].pk for m in messages)

    @property
    def sewer(self) -> list[int]:
        return self.ids(SEWER)

    @property
    def noise(self) -> list[int]:
        return self.ids(NOISE_AT_NIGHT)

    @property
    def pension(self) -> list[int]:
        return self.ids(PENSION)


def phone_of(user: str) -> str:
    return f"1380000{int(user.lstrip('U')):04d}"


def plant(operator: Any) -> Planted:
    planted = Planted()
    for m in [*SEWER, *NOISE_AT_NIGHT, *PENSION, *OTHERS]:
        appeal, _ = appeals.register_appeal(
            channel="hotline",
            appeal_type="complaint",
            title=m.title,
            body=m.body,
            contact_name="市民",
            contact_phone=phone_of(m.user),
            by=operator,
        )
        planted.by_key[m.id] = appeal
    return planted

"""The demo city's map (示意图), made from the Region table, not downloaded: one simple square per
county-level region of the city, laid out left to right, top to bottom in a grid, in the order of
the regions' codes. The same regions give the same GeoJSON every time, so the choropleth on the
dashboard and its test agree. It is a schematic, not a survey: no real coordinates."""

from __future__ import annotations

import math
from typing import Any

from zhengwu.org.models import Level, Region

MAP_NAME = "demo-city"
ORIGIN = (113.0, 35.0)  # only so that the numbers look like degrees; nothing is located here
CELL = 1.0
GAP = 0.08


def city() -> Region | None:
    """The city the figures are of: the city-level region with the most county-level regions."""
    cities = Region.objects.filter(level=Level.CITY).order_by("code", "pk")
    best: Region | None = None
    best_count = -1
    for c in cities:
        n = Region.objects.filter(parent=c, level=Level.COUNTY).count()
        if n > best_count:
            best, best_count = c, n
    return best


def counties(of: Region | None = None) -> list[Region]:
    c = of or city()
    if c is None:
        return []
    return list(Region.objects.filter(parent=c, level=Level.COUNTY).order_by("code", "pk"))


def _square(col: int, row: int) -> list[list[list[float]]]:
    x0 = ORIGIN[0] + col * CELL + GAP
    y1 = ORIGIN[1] - row * CELL - GAP
    x1 = x0 + CELL - 2 * GAP
    y0 = y1 - CELL + 2 * GAP
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]  # counter-clockwise, closed
    return [[[round(x, 4), round(y, 4)] for x, y in ring]]


def feature_collection() -> dict[str, Any]:
    """GeoJSON of the city's county-level regions: a FeatureCollection of non-overlapping squares,
    each with its region's id, name and code."""
    c = city()
    regions = counties(c)
    cols = max(1, math.ceil(math.sqrt(len(regions))))
    features = []
    for i, region in enumerate(regions):
        row, col = divmod(i, cols)
        features.append(
            {
                "type": "Feature",
                "id": str(region.pk),
                "properties": {"name": region.name, "region": region.pk, "code": region.code},
                "geometry": {"type": "Polygon", "coordinates": _square(col, row)},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": MAP_NAME,
        "properties": {"city": c.name if c else "", "note": "示意图，非实际地理边界"},
        "features": features,
    }

"""The seal image (电子印章的印模): the round red seal a department stamps — a red ring, the
department's name along the upper arc, a five-pointed star in the middle and, under the star, what
the seal is for (电子证照专用章).

The image is drawn by the product from the seal's name, never uploaded: it is what a reader
recognises, while what proves the licence is the SM2 signature (services). Two outputs: drawn on a
reportlab canvas (the licence PDF) and as SVG for web pages. Chinese text is set in the CID font
the notices already register (zhengwu.applications.pdf), so nothing is embedded or downloaded.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from zhengwu.applications.pdf import _font

SEAL_RED = Color(0.85, 0.08, 0.08)
PURPOSE = "电子证照专用章"
SEAL_RED_HEX = "#d91414"

# Proportions of the seal, as fractions of its radius (a 42 mm official seal: 1.2 mm ring, the
# name about 6.5 mm high, a 13 mm star).
RING = 0.035
NAME_SIZE = 0.24
NAME_RADIUS = 0.72  # the baseline of the name's characters
STAR_RADIUS = 0.28
PURPOSE_SIZE = 0.12
ARC_MAX = 250.0  # degrees the name may span, centred on the top


def _arc(name: str) -> tuple[float, float]:
    """(the angle of the first character, the step between characters) in degrees, the first
    character on the left: a short name keeps natural spacing, a long one fills up to ARC_MAX."""
    count = max(len(name), 1)
    step = min(ARC_MAX / count, 26.0)
    span = step * (count - 1)
    return 90 + span / 2, step


def star_points(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    """The ten corners of a five-pointed star pointing up, outer and inner in turn."""
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else inner
        angle = math.radians(90 + 36 * k)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def draw_seal(
    canvas: Canvas, x: float, y: float, diameter: float, name: str, *, purpose: str = PURPOSE
) -> None:
    """The seal centred on (x, y), ``diameter`` across, in the canvas's units (points)."""
    font = _font()
    r = diameter / 2
    canvas.saveState()
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    canvas.setLineWidth(r * RING * 2)
    canvas.circle(x, y, r * (1 - RING), stroke=1, fill=0)

    size = r * NAME_SIZE
    start, step = _arc(name)
    canvas.setFont(font, size)
    for i, char in enumerate(name):
        angle = start - step * i
        canvas.saveState()
        canvas.translate(x, y)
        canvas.rotate(angle - 90)  # the character's up points away from the centre
        canvas.drawCentredString(0, r * NAME_RADIUS - size * 0.0, char)
        canvas.restoreState()

    path = canvas.beginPath()
    points = star_points(x, y + r * 0.02, r * STAR_RADIUS)
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)

    if purpose:
        canvas.setFont(font, r * PURPOSE_SIZE)
        canvas.drawCentredString(x, y - r * 0.52, purpose)
    canvas.restoreState()


def seal_svg(name: str, *, size: int = 160, purpose: str = PURPOSE) -> str:
    """The seal as a standalone SVG document, ``size`` pixels across, for web pages. The text names
    a CJK serif family list; a browser draws it in whatever Song/Ming face it has."""
    r = 100.0  # drawn in a 200 × 200 box, scaled by the viewBox
    ring = r * RING * 2
    font_size = r * NAME_SIZE
    start, step = _arc(name)
    family = "STSong, SimSun, 'Songti SC', 'Noto Serif CJK SC', 'Source Han Serif SC', serif"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="{size}" height="{size}" '
        f'role="img" aria-label="{escape(name)}电子印章">',
        f'<g fill="{SEAL_RED_HEX}" font-family="{family}" text-anchor="middle">',
        f'<circle cx="100" cy="100" r="{r * (1 - RING):.2f}" fill="none" stroke="{SEAL_RED_HEX}" '
        f'stroke-width="{ring:.2f}"/>',
    ]
    for i, char in enumerate(name):
        angle = start - step * i
        # SVG's y axis points down: a character at polar angle a sits at (cos a, -sin a), turned
        # by 90 - a degrees clockwise.
        rad = math.radians(angle)
        cx = 100 + r * NAME_RADIUS * math.cos(rad)
        cy = 100 - r * NAME_RADIUS * math.sin(rad)
        parts.append(
            f'<text x="{cx:.2f}" y="{cy:.2f}" font-size="{font_size:.2f}" '
            f'transform="rotate({90 - angle:.2f} {cx:.2f} {cy:.2f})">{escape(char)}</text>'
        )
    points = star_points(100, 0, r * STAR_RADIUS)
    # Mirror the y coordinates (drawn around y = 0 above) into SVG's downward axis.
    corners = " ".join(f"{px:.2f},{100 - py - r * 0.02:.2f}" for px, py in points)
    parts.append(f'<polygon points="{corners}"/>')
    if purpose:
        parts.append(
            f'<text x="100" y="{100 + r * 0.52:.2f}" font-size="{r * PURPOSE_SIZE:.2f}">{escape(purpose)}</text>'
        )
    parts.append("</g></svg>")
    return "".join(parts)

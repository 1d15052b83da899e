"""Small charts for emails, drawn on the server with Pillow: numbers in, PNG bytes out.

Email clients block remote images and scripts, so a chart travels inside the message as an
inline part; the email's text says the same in words (alt text and the plain-text part).
"""

import io
from collections.abc import Sequence
from datetime import date

from PIL import Image, ImageDraw, ImageFont

# The size the email shows; drawn at twice that so it stays sharp on high-density screens.
WIDTH, HEIGHT = 560, 220
SCALE = 2
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 40, 12, 34, 28
NEW_COLOUR = (37, 99, 235)  # blue
CLOSED_COLOUR = (22, 163, 74)  # green
GRID_COLOUR = (226, 232, 240)
TEXT_COLOUR = (51, 65, 85)


def _font(size: int):
    # Pillow's bundled font: no font file needs to exist on the server.
    return ImageFont.load_default(size=size * SCALE)


class _ScaledDraw:
    """ImageDraw with coordinates in display pixels."""

    def __init__(self, draw: ImageDraw.ImageDraw):
        self.draw = draw

    @staticmethod
    def _points(points):
        return [(x * SCALE, y * SCALE) for x, y in points]

    def line(self, points, **kwargs):
        self.draw.line(self._points(points), width=SCALE, **kwargs)

    def rectangle(self, points, **kwargs):
        self.draw.rectangle(self._points(points), **kwargs)

    def text(self, position, text, **kwargs):
        self.draw.text(self._points([position])[0], text, **kwargs)

    def textlength(self, text, **kwargs) -> float:
        return self.draw.textlength(text, **kwargs) / SCALE


def weekly_bars_png(
    weeks: Sequence[tuple[date, int, int]], *, new_label: str, closed_label: str
) -> bytes:
    """Two bars per week (new, closed) with the counts above them and a legend.

    `weeks` holds (first day of the week, new, closed), oldest first. Coordinates below are in
    display pixels; the drawing scales them.
    """
    image = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), "white")
    draw = _ScaledDraw(ImageDraw.Draw(image))
    small, label_font = _font(10), _font(12)
    plot_left, plot_right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    plot_top, plot_bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    peak = max([1, *(max(new, closed) for _day, new, closed in weeks)])

    for fraction in (0, 0.5, 1):
        y = plot_bottom - fraction * (plot_bottom - plot_top)
        draw.line([(plot_left, y), (plot_right, y)], fill=GRID_COLOUR)
        value = round(peak * fraction)
        draw.text((plot_left - 6, y), str(value), fill=TEXT_COLOUR, font=small, anchor="rm")

    slot = (plot_right - plot_left) / max(len(weeks), 1)
    bar = slot * 0.34
    for index, (day, new, closed) in enumerate(weeks):
        left = plot_left + index * slot + slot * 0.14
        for offset, value, colour in ((0, new, NEW_COLOUR), (bar, closed, CLOSED_COLOUR)):
            x0, x1 = left + offset, left + offset + bar - 2
            top = plot_bottom - value / peak * (plot_bottom - plot_top)
            if value:
                draw.rectangle([(x0, top), (x1, plot_bottom)], fill=colour)
            draw.text(
                ((x0 + x1) / 2, top - 2), str(value), fill=TEXT_COLOUR, font=small, anchor="md"
            )
        draw.text(
            (plot_left + index * slot + slot / 2, plot_bottom + 6),
            day.strftime("%m-%d"),
            fill=TEXT_COLOUR,
            font=small,
            anchor="mt",
        )

    x = plot_left
    for colour, text in ((NEW_COLOUR, new_label), (CLOSED_COLOUR, closed_label)):
        draw.rectangle([(x, 8), (x + 12, 20)], fill=colour)
        draw.text((x + 18, 14), text, fill=TEXT_COLOUR, font=label_font, anchor="lm")
        x += 30 + draw.textlength(text, font=label_font)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()

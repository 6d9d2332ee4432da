"""Charts as SVG made on the server: no JavaScript, the same markup in the page and in a WeasyPrint PDF.

Two kinds are enough for the statistics: horizontal grouped bars for a breakdown (long Chinese names read well on
the left) and lines for a trend. Text stays text (CJK from the system fonts), every mark has a <title> with its value,
and the page prints the numbers in a table beside each chart, so the chart is never the only place to read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#2f6fb3", "#e07b39", "#3a9a5b", "#8a5bb8")
FONT = "'Noto Sans CJK SC','WenQuanYi Zen Hei','Source Han Sans SC',sans-serif"
Series = Sequence[tuple[str, Sequence[float]]]


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(ident: str, title: str, width: int, height: int, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(ident)}" role="img" '
        f'aria-labelledby="{escape(ident)}-title" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="{FONT}" font-size="12">'
        f'<title id="{escape(ident)}-title">{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _legend(series: Series, x: int, y: int) -> list[str]:
    out = []
    for n, (name, _values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{y}">{escape(name)}</text>')
        x += 28 + 13 * len(name)
    return out


def bars(ident: str, title: str, labels: Sequence[str], series: Series, *, width: int = 640) -> Markup:
    """Horizontal grouped bars: one group per label, one bar per series."""
    label_width, bar, gap, top = 170, 12, 10, 34
    group = bar * len(series) + gap
    height = top + group * max(len(labels), 1) + 10
    peak = _nice_top(max((v for _, values in series for v in values), default=0))
    span = width - label_width - 60
    body = [f'<text x="0" y="14" font-size="14" font-weight="bold">{escape(title)}</text>']
    body += _legend(series, label_width, 28 if len(series) > 1 else -100)
    for tick in range(5):
        x = label_width + span * tick / 4
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 8}" stroke="#ddd"/>')
        body.append(
            f'<text x="{x:.1f}" y="{height}" text-anchor="middle" fill="#666">{_number(peak * tick / 4)}</text>'
        )
    for row, label in enumerate(labels):
        y0 = top + row * group
        body.append(
            f'<text x="{label_width - 6}" y="{y0 + group / 2 + 2:.1f}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_short(label, 13))}</text>"
        )
        for n, (name, values) in enumerate(series):
            value = float(values[row]) if row < len(values) and values[row] is not None else 0.0
            length = span * value / peak
            y = y0 + n * bar
            body.append(
                f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{PALETTE[n % len(PALETTE)]}">'
                f"<title>{escape(label)} {escape(name)}：{_number(value)}</title></rect>"
            )
            body.append(
                f'<text x="{label_width + length + 3:.1f}" y="{y + bar - 3}" font-size="10">{_number(value)}</text>'
            )
    return _svg(ident, title, width, height, body)


def lines(ident: str, title: str, labels: Sequence[str], series: Series, *, width: int = 640) -> Markup:
    """One line per series over the labels (periods, oldest first)."""
    left, right, top, bottom, height = 48, 16, 40, 28, 240
    peak = _nice_top(max((v for _, values in series for v in values), default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / peak)

    body = [f'<text x="0" y="14" font-size="14" font-weight="bold">{escape(title)}</text>']
    body += _legend(series, left, 30)
    for tick in range(5):
        value = peak * tick / 4
        body.append(f'<line x1="{left}" y1="{y(value):.1f}" x2="{width - right}" y2="{y(value):.1f}" stroke="#ddd"/>')
        body.append(
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" fill="#666">{_number(value)}</text>'
        )
    for i, label in enumerate(labels):
        body.append(f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" font-size="10">{escape(label)}</text>')
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(float(v or 0)):.1f}" for i, v in enumerate(values))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            body.append(
                f'<circle cx="{x(i):.1f}" cy="{y(float(v or 0)):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(labels[i])} {escape(name)}：{_number(float(v or 0))}</title></circle>"
            )
    return _svg(ident, title, width, height, body)

"""Inline SVG charts: drawn on the server, no JavaScript, readable on a phone."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from tinhgon.web.i18n import fmt_int

BAND_COLOURS = {"lt450": "#d9534f", "450to600": "#f0ad4e", "ge600": "#3c8d5a", "unknown": "#9aa0a6"}
BAND_LABELS = {"lt450": "Under 450 households", "450to600": "450 to under 600 households",
               "ge600": "600 households or more", "unknown": "Size unknown"}


def bands_svg(bands: dict[str, int], t: Callable[[str], str]) -> str:
    """Horizontal bars, one per size band, with the count at the end of each bar."""
    keys = [k for k in ("lt450", "450to600", "ge600", "unknown") if k != "unknown" or bands.get(k)]
    top = max([bands.get(k, 0) for k in keys] + [1])
    row, width, label_w = 34, 520, 200
    h = row * len(keys) + 10
    parts = [f'<svg class="chart" viewBox="0 0 {width} {h}" role="img" aria-label="{escape(t("Groups by size"))}">']
    for i, k in enumerate(keys):
        n = bands.get(k, 0)
        y = 5 + i * row
        bar = 0 if top == 0 else (width - label_w - 60) * n / top
        parts.append(f'<text x="0" y="{y + 20}" font-size="14">{escape(t(BAND_LABELS[k]))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="22" fill="{BAND_COLOURS[k]}" rx="3"/>')
        parts.append(f'<text x="{label_w + bar + 6:.1f}" y="{y + 20}" font-size="14" font-weight="bold">'
                     f'{fmt_int(n)}</text>')
    parts.append("</svg>")
    return "".join(parts)

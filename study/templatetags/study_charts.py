"""Small server-rendered SVG charts of mastery."""

from __future__ import annotations

import math

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


@register.simple_tag
def donut(mastery) -> SafeString:
    """A ring whose arc is the mastery score, the percentage in its middle."""
    score = mastery.score if mastery is not None else None
    radius, width = 16.0, 5.0
    circumference = 2 * math.pi * radius
    filled = 0.0 if score is None else circumference * score
    label = _("No evidence yet") if score is None else f"{round(100 * score)}%"
    level = "none" if score is None else mastery.level
    return format_html(
        '<svg class="mastery-donut" viewBox="0 0 40 40" width="72" height="72" role="img" '
        'aria-label="{}"><circle class="donut-track" cx="20" cy="20" r="{}" '
        'stroke-width="{}"/><circle class="donut-fill level-{}" cx="20" cy="20" r="{}" '
        'stroke-width="{}" stroke-dasharray="{} {}" transform="rotate(-90 20 20)"/>'
        '<text x="20" y="22.5" text-anchor="middle">{}</text></svg>',
        label, radius, width, level, radius, width, f"{filled:.2f}", f"{circumference:.2f}",
        "—" if score is None else f"{round(100 * score)}%",
    )  # fmt: skip

"""Plain seed text as HTML blocks: lines that start with a bullet become a list, the other
lines paragraphs. The seeds write their lists as "- item" lines inside otherwise plain text."""

from __future__ import annotations

from django import template

register = template.Library()

BULLETS = ("- ", "• ", "— ", "* ")


@register.filter
def text_blocks(text: str) -> list[tuple[str, str | list[str]]]:
    """[("p", line) | ("ul", [item, ...])] for the template to render (and escape)."""
    blocks: list[tuple[str, str | list[str]]] = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        bullet = next((b for b in BULLETS if line.startswith(b)), None)
        if bullet is None:
            blocks.append(("p", line))
        elif blocks and blocks[-1][0] == "ul":
            blocks[-1][1].append(line[len(bullet) :].strip())  # type: ignore[union-attr]
        else:
            blocks.append(("ul", [line[len(bullet) :].strip()]))
    return blocks

"""Plain seed text as HTML blocks, and search words highlighted in it.

The seeds write lists as "- item" lines inside otherwise plain text, and nest them without
indentation: a numbered line ("1. Problem: ...") owns the bullets under it, and a bullet that
ends with a colon ("- Solution:") owns the bullets after it, until a bullet that starts with a
short label of its own ("- Sign: ...") or the next numbered line. `text_blocks` rebuilds that
nesting so a case's solution reads as the author meant it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from courses.search import highlight as highlight_words

register = template.Library()

BULLETS = ("- ", "• ", "— ", "* ")
NUMBERED = re.compile(r"^(\d{1,3})[.)]\s+(\S.*)$")
# "Label: text" with a label of one to three words: a sibling of an open "Label:" parent.
LABELLED = re.compile(r"^[^\W\d_][\w-]*(?: [\w-]+){0,2}:(?:\s|$)")


@dataclass
class ListItem:
    text: str
    children: list[ListItem] = field(default_factory=list)
    number: int | None = None


def _bullet_text(line: str) -> str | None:
    bullet = next((b for b in BULLETS if line.startswith(b)), None)
    return None if bullet is None else line[len(bullet) :].strip()


@register.filter
def text_blocks(text: str) -> list[tuple[str, str | list[ListItem]]]:
    """[("p", line) | ("ul" | "ol", [ListItem, ...])] for the template to render (and escape)."""
    blocks: list[tuple[str, str | list[ListItem]]] = []
    numbered: ListItem | None = None  # the open numbered item, owner of the bullets under it
    parent: ListItem | None = None  # the open "Label:" bullet, owner of the bullets after it
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        number = NUMBERED.match(line)
        bullet = _bullet_text(line)
        if number:
            item = ListItem(number.group(2), number=int(number.group(1)))
            if blocks and blocks[-1][0] == "ol":
                blocks[-1][1].append(item)  # type: ignore[union-attr]
            else:
                blocks.append(("ol", [item]))
            numbered, parent = item, None
        elif bullet is not None:
            item = ListItem(bullet)
            if parent is not None and not LABELLED.match(bullet):
                parent.children.append(item)
                continue
            if numbered is not None:
                numbered.children.append(item)
            elif blocks and blocks[-1][0] == "ul":
                blocks[-1][1].append(item)  # type: ignore[union-attr]
            else:
                blocks.append(("ul", [item]))
            parent = item if bullet.endswith(":") else None
        else:
            blocks.append(("p", line))
            numbered = parent = None
    return blocks


@register.simple_tag(takes_context=True)
def highlighted(context, text: str) -> SafeString:
    """`{% highlighted text %}`: the text escaped, the words of the search in <mark>: `stems`
    in the context (as `text_html` renders blocks), else `terms` (a courses.search.SearchTerms)."""
    return highlight_words(str(text or ""), _stems(context))


def _stems(context) -> tuple[str, ...]:
    stems = context.get("stems")
    if stems is None:
        terms = context.get("terms")
        stems = terms.stems if terms else ()
    return tuple(stems)


@register.simple_tag(takes_context=True)
def text_html(context, text: str) -> SafeString:
    """`{% text_html text %}`: the text as HTML blocks (courses/includes/text_blocks.html), the
    words of the search (`terms` in the context) highlighted."""
    return _rendered_blocks(str(text or ""), _stems(context))


# Keyed by the text itself, so an edited item is simply a new key. A flashcard's answer and a
# case's sections are the same HTML for every learner, and their blocks (loops, an include per
# list) were the larger part of rendering those pages. The two block templates hold no
# translated words: one HTML serves every language.
@lru_cache(maxsize=2048)
def _rendered_blocks(text: str, stems: tuple[str, ...]) -> SafeString:
    return render_to_string("courses/includes/text_blocks.html", {"text": text, "stems": stems})

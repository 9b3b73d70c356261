"""`{% text_html %}`: seed text as HTML blocks, escaped, search words marked; its rendering is
memoised by the text and the searched stems, so an edited text and another search each get
their own HTML."""

from __future__ import annotations

from django.template import engines

from courses.search import parse_query

TEMPLATE = engines["django"].from_string("{% load course_text %}{% text_html text %}")
ANSWER = "Dropout отключает нейроны:\n- на обучении;\n- не на инференсе.\n<script>alert(1)</script>"


def render(text: str, **context) -> str:
    return TEMPLATE.render({"text": text, **context})


def test_blocks_are_built_and_everything_is_escaped():
    html = render(ANSWER)
    assert html.startswith("<p>Dropout отключает нейроны:</p><ul><li>на обучении;</li>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html


def test_an_edited_text_is_rendered_anew():
    before = render(ANSWER)
    after = render(ANSWER.replace("нейроны", "нейроны случайно"))
    assert "нейроны случайно" in after and "случайно" not in before
    assert render(ANSWER) == before


def test_the_search_words_are_marked_only_where_searched():
    marked = render(ANSWER, terms=parse_query("dropout"))
    assert "<mark>Dropout</mark>" in marked
    assert "<mark>" not in render(ANSWER)  # the same text unsearched, after the marked one
    other = render(ANSWER, terms=parse_query("инференс"))
    assert "<mark>инференсе</mark>" in other and "<mark>Dropout</mark>" not in other

"""Syntax highlighting of reference code with Pygments (inline styles: no CSS to ship)."""

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

_FORMATTER = HtmlFormatter(noclasses=True, style="friendly", cssclass="code")


def highlight_python(code: str) -> SafeString:
    # Pygments escapes the code it formats, so its HTML is safe to mark as such.
    return mark_safe(highlight(code, PythonLexer(), _FORMATTER))  # noqa: S308


def render_markdown(text: str) -> SafeString:
    """Markdown of the lab catalogue's statements: content the team writes and reviews, never
    learner input, so its HTML is trusted."""
    import markdown

    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])
    return mark_safe(html)  # noqa: S308 - trusted catalogue content

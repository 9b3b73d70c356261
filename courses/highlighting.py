"""Syntax highlighting of reference code with Pygments (inline styles: no CSS to ship)."""

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

_FORMATTER = HtmlFormatter(noclasses=True, style="friendly", cssclass="code")


def highlight_python(code: str) -> SafeString:
    # Pygments escapes the code it formats, so its HTML is safe to mark as such.
    return mark_safe(highlight(code, PythonLexer(), _FORMATTER))  # noqa: S308

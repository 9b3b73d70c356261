"""``{{ result|in_viewer_language }}``: a stored grading message in the language the page is
shown in, falling back to the Russian ``message`` (grading.models.message_in). Works on a
Submission, a Regrade, a TestResult or a regrade's per-test dict. ``title_in_viewer_language``
does the same for a test's title."""

from django import template
from django.utils import translation

from grading.models import message_in

register = template.Library()


@register.filter
def in_viewer_language(item) -> str:
    language = translation.get_language()
    if isinstance(item, dict):
        return message_in(item.get("message", ""), item.get("messages"), language)
    return item.message_in(language)


@register.filter
def title_in_viewer_language(item) -> str:
    """A test's title (a TestResult or a regrade's per-test dict) in the page's language."""
    language = translation.get_language()
    if isinstance(item, dict):
        return message_in(item.get("title", ""), item.get("titles"), language)
    return item.title_in(language)

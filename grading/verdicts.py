"""The messages grading itself writes onto a job (not the judges' verdicts), in every language
of the site.

A stored message must read in the viewer's language, whatever language the process that wrote
it had active: each one is rendered once per language of settings.LANGUAGES and kept as
``message`` (Russian, the site's language) plus ``messages`` ({"en": ..., "ru": ...}); see
``GradingJob.message_in``. Texts are English msgids with their Russian translation in the
catalog, plurals through ngettext.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext_lazy


def in_every_language(render: Callable[[], object]) -> dict[str, str]:
    """{language code: text} for each language of the site; ``render`` is called with that
    language active (it may also return a lazy text, made with gettext_lazy/format_lazy)."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(render())
    return texts


def stored(render: Callable[[], object]) -> dict[str, object]:
    """The ``message`` and ``messages`` fields of a job for the text ``render`` makes."""
    texts = in_every_language(render)
    return {"message": texts[settings.LANGUAGE_CODE], "messages": texts}


ATTEMPTS_RAN_OUT = ngettext_lazy(
    "Grading failed on our side after %(count)d attempt. This says nothing about your "
    "solution: please submit it again later.",
    "Grading failed on our side after %(count)d attempts. This says nothing about your "
    "solution: please submit it again later.",
    "count",
)
WORKER_LOST = ngettext_lazy(
    "Grading did not finish: the grading worker was lost (%(count)d attempt). This says "
    "nothing about your solution: please submit it again.",
    "Grading did not finish: the grading worker was lost (%(count)d attempts). This says "
    "nothing about your solution: please submit it again.",
    "count",
)
NEVER_TAKEN = ngettext_lazy(
    "No grading worker took this submission within %(count)d hour. Please submit it again.",
    "No grading worker took this submission within %(count)d hours. Please submit it again.",
    "count",
)
CHECKS_BROKE = gettext_lazy(
    "The checks themselves failed on this submission: an error on our side, not in your "
    "solution. It has been logged for the team; please submit again later."
)


def attempts_ran_out(attempts: int) -> dict[str, object]:
    """Every attempt failed on the worker's side (the sandbox, or a worker that died)."""
    return stored(lambda: ATTEMPTS_RAN_OUT % {"count": attempts})


def worker_lost(attempts: int) -> dict[str, object]:
    """The last attempt's worker went silent far past the lab's limit, and no attempt is left."""
    return stored(lambda: WORKER_LOST % {"count": attempts})


def never_taken(hours: int) -> dict[str, object]:
    """No worker took the job while it waited in its queue for ``hours``."""
    return stored(lambda: NEVER_TAKEN % {"count": hours})


def checks_broke() -> dict[str, object]:
    """The grading code itself raised on this job: a fault of ours, not of the solution."""
    return stored(lambda: CHECKS_BROKE)

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exams.models import Exam, TicketSet
from exams.sessions import Candidate
from labs.models import Lab


class GenerateForm(forms.Form):
    count = forms.IntegerField(label=_("Number of tickets"), min_value=1, max_value=500, initial=15)
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text=_("Leave empty for a new random set; the same seed gives the same set."),
    )
    name = forms.CharField(label=_("Save as ticket set"), max_length=200, required=False)


class SetForm(forms.Form):
    name = forms.CharField(label=_("Name of the new ticket set"), max_length=200)


def _lab_field(course) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Lab that grades it"),
        queryset=Lab.objects.live().filter(course=course).order_by("slug"),
        required=False,
        empty_label=_("none: the instructor grades it"),
    )


class PracticalForm(forms.Form):
    task_text = forms.CharField(
        label=_("Practical task"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    task_reference = forms.CharField(
        label=_("Reference solution (for graders)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )

    def __init__(self, *args, course, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lab"] = _lab_field(course)


class QuestionForm(forms.Form):
    """A theory question: a bank item (its key from the search), or a new one written here."""

    bank_item = forms.CharField(required=False, widget=forms.HiddenInput)
    question_text = forms.CharField(
        label=_("or write a new question"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reference_answer = forms.CharField(
        label=_("Its reference answer"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class ExamForm(forms.ModelForm):
    candidates = forms.CharField(
        label=_("Learners who may sit it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("One username per line; add minutes of extra time after a space (“anna 30”)."),
    )

    class Meta:
        model = Exam
        fields = [
            "title",
            "ticket_set",
            "time_limit_minutes",
            "opens_at",
            "closes_at",
            "open_to_all",
            "practical_points",
            "satisfactory_from",
            "good_from",
            "excellent_from",
        ]
        widgets = {
            "opens_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args, course, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["ticket_set"].queryset = TicketSet.objects.filter(course=course).order_by(
            "name", "-version"
        )
        for name in ("opens_at", "closes_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if not self.instance.pk:
            now = timezone.localtime().replace(second=0, microsecond=0)
            # model_to_dict put None for these: replace, not setdefault.
            self.initial["opens_at"] = self.initial.get("opens_at") or now
            self.initial["closes_at"] = self.initial.get("closes_at") or now + timedelta(days=7)
        else:
            self.initial["candidates"] = "\n".join(
                f"{c.learner.username} {c.extra_minutes}" if c.extra_minutes else c.learner.username
                for c in self.instance.candidates.select_related("learner").order_by(
                    "learner__username"
                )
            )

    def clean_candidates(self) -> list[Candidate]:
        found: dict[str, Candidate] = {}
        for number, line in enumerate(self.cleaned_data["candidates"].splitlines(), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
                raise forms.ValidationError(
                    _("Line %(n)d: write a username, then optionally the minutes of extra time.")
                    % {"n": number}
                )
            extra = int(parts[1]) if len(parts) == 2 else 0
            if extra > 24 * 60:
                raise forms.ValidationError(
                    _("Line %(n)d: extra time is at most 1440 minutes.") % {"n": number}
                )
            found[parts[0]] = Candidate(parts[0], extra)
        return list(found.values())

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The exam must close after it opens."))
        low, mid, high = (
            cleaned.get(k) for k in ("satisfactory_from", "good_from", "excellent_from")
        )
        if None not in (low, mid, high) and not 0 < low < mid < high <= 100:
            self.add_error(
                "excellent_from",
                _("Thresholds must rise: satisfactory < good < excellent, all between 1 and 100%."),
            )
        time_limit = cleaned.get("time_limit_minutes")
        if time_limit is not None and not 1 <= time_limit <= 24 * 60:
            self.add_error(
                "time_limit_minutes", _("The time limit must be between 1 minute and 24 hours.")
            )
        return cleaned

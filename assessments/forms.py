from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import MCQ, Quiz
from assessments.services import MAX_PRACTICE_QUESTIONS
from courses.models import Course, Topic

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class PracticeForm(forms.Form):
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.live(), to_field_name="slug"
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.all(),
        required=False,
        help_text=_("Leave empty for questions on every topic."),
        widget=forms.CheckboxSelectMultiple,
    )
    count = forms.IntegerField(
        label=_("Number of questions"), min_value=1, max_value=MAX_PRACTICE_QUESTIONS, initial=10
    )


class QuizForm(forms.ModelForm):
    class Meta:
        model = Quiz
        fields = [
            "course",
            "title",
            "description",
            "selection",
            "topics",
            "mcqs",
            "question_count",
            "time_limit_minutes",
            "attempts_allowed",
            "layout",
            "show_answers",
            "closes_at",
            "is_published",
        ]
        widgets = {
            "topics": forms.CheckboxSelectMultiple,
            "mcqs": forms.SelectMultiple(attrs={"size": 12}),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.live()
        self.fields["mcqs"].queryset = MCQ.objects.live().select_related("course")
        self.fields["mcqs"].required = False
        self.fields["time_limit_minutes"].min_value = 1
        self.fields["question_count"].min_value = 1

    def clean(self) -> dict:
        data = super().clean()
        course = data.get("course")
        mcqs = data.get("mcqs") or []
        if data.get("selection") == Quiz.Selection.FIXED:
            if not mcqs:
                self.add_error("mcqs", _("A fixed set needs at least one question."))
            elif course and any(mcq.course_id != course.pk for mcq in mcqs):
                self.add_error("mcqs", _("Every question must belong to the quiz's course."))
        return data


class QuestionImportForm(forms.Form):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.live())
    file = forms.FileField(
        label=_("File"), help_text=_("Moodle XML (.xml) or GIFT (.gift, .txt), up to 5 MB.")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload

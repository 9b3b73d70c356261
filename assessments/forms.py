from __future__ import annotations

from django import forms
from django.db.models import Count, Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from assessments.models import MCQ, Quiz
from assessments.services import MAX_PRACTICE_QUESTIONS
from courses.models import Course, Topic

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class TopicChoiceField(forms.ModelMultipleChoiceField):
    """Topics labelled with how many questions of the course each holds."""

    def label_from_instance(self, topic: Topic) -> str:
        count = getattr(topic, "question_count", None)
        return topic.label if count is None else f"{topic.label} ({count})"


def practice_courses():
    """Courses a learner can practise on: live, with live questions."""
    return (
        Course.objects.live()
        .annotate(question_count=Count("mcqs", filter=Q(mcqs__retired_at__isnull=True)))
        .filter(question_count__gt=0)
        .order_by("title")
    )


def practice_topics(course: Course | None):
    """The topics that hold live questions of ``course``, each with their number."""
    if course is None:
        return Topic.objects.none()
    live = Q(mcqs__course=course, mcqs__retired_at__isnull=True)
    return (
        Topic.objects.filter(live)
        .annotate(question_count=Count("mcqs", filter=live, distinct=True))
        .order_by("position", "slug")
    )


class PracticeForm(forms.Form):
    """Course, then the topics of that course that have questions: every choice it offers
    leads to questions. The topics follow the course chosen (htmx swaps them in; without
    JavaScript a topic of another course is refused with the list of the right ones)."""

    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.none(), to_field_name="slug", empty_label=None
    )
    topics = TopicChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.none(),
        required=False,
        help_text=_("Leave empty for questions on every topic of the course."),
        widget=forms.CheckboxSelectMultiple,
    )
    count = forms.IntegerField(
        label=_("Number of questions"), min_value=1, max_value=MAX_PRACTICE_QUESTIONS, initial=10
    )

    def __init__(self, *args, course: Course | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Each list is read once and drawn from memory; a POST still checks against the
        # querysets (a course or topic that is not offered is refused).
        courses = practice_courses()
        listed = list(courses)
        self.fields["course"].queryset = courses
        self.fields["course"].choices = [(c.slug, c.title) for c in listed]
        if course is None:
            wanted = self.data.get("course") if self.is_bound else None
            course = next((c for c in listed if c.slug == wanted), listed[0] if listed else None)
        self.course = course
        if course is not None:
            self.initial.setdefault("course", course.slug)
        topics = practice_topics(course)
        topic_list = list(topics) if course is not None else []
        self.fields["topics"].queryset = topics
        self.fields["topics"].choices = [
            (t.pk, self.fields["topics"].label_from_instance(t)) for t in topic_list
        ]
        self.has_topics = bool(topic_list)
        self.fields["course"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("quiz_home"),
                "hx-target": "#practice-topics",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
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

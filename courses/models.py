"""Courses and their study material, as imported from the seed documents.

Every imported row is `SeedContent`: it remembers the seed file and line range it came from, a
stable `seed_key` (the same item of the same file keeps its key across imports, so an edited
seed updates rows in place and learner data stays attached), a hash of its content to tell
changed from unchanged, and `retired_at` for items that left their seed: those are hidden from
learners but kept, because attempts, flashcards and submissions may point at them.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class SeedContentQuerySet(models.QuerySet):
    def live(self) -> SeedContentQuerySet:
        return self.filter(retired_at__isnull=True)


class SeedContent(models.Model):
    seed_key = models.CharField(
        max_length=200, unique=True, editable=False, verbose_name=_("seed key")
    )
    source_file = models.CharField(_("source file"), max_length=200, editable=False)
    source_first_line = models.PositiveIntegerField(_("first line"), editable=False)
    source_last_line = models.PositiveIntegerField(_("last line"), editable=False)
    content_hash = models.CharField(max_length=64, editable=False, verbose_name=_("content hash"))
    imported_at = models.DateTimeField(auto_now_add=True, verbose_name=_("imported at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    objects = SeedContentQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def source(self) -> str:
        return f"{self.source_file}:{self.source_first_line}-{self.source_last_line}"


class Topic(models.Model):
    """A node of the topic taxonomy (seeds/topic_rules.toml); items are tagged with topics."""

    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language: the taxonomy names every topic in both."""
        language = get_language() or ""
        return self.name_en if self.name_en and language.startswith("en") else self.name


class Course(SeedContent):
    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("course_detail", args=[self.slug])


class QACollection(SeedContent):
    """A question bank: a course document's own Q&A, or a standalone list (the interview list,
    the Telegram channel) that feeds one or more courses."""

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    courses = models.ManyToManyField(
        Course, related_name="qa_collections", blank=True, verbose_name=_("courses")
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("question collection")
        verbose_name_plural = _("question collections")

    def __str__(self) -> str:
        return self.title


class CoursePart(SeedContent):
    """The common shape of the parts of one course."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="+", verbose_name=_("course")
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))

    class Meta:
        abstract = True
        ordering = ["course", "position"]


class CourseTextPart(CoursePart):
    """A syllabus line: one text in its place in the course."""

    text = models.TextField(_("text"))

    class Meta(CoursePart.Meta):
        abstract = True

    def __str__(self) -> str:
        return self.text


class SyllabusTopic(CourseTextPart):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="syllabus_topics", verbose_name=_("course")
    )

    class Meta(CourseTextPart.Meta):
        verbose_name = _("syllabus topic")
        verbose_name_plural = _("syllabus topics")


class Outcome(CourseTextPart):
    class Category(models.TextChoices):
        KNOW = "знать", _("to know")
        DO = "уметь", _("to be able to")

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("course")
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)

    class Meta(CourseTextPart.Meta):
        verbose_name = _("learning outcome")
        verbose_name_plural = _("learning outcomes")


class Requirement(CourseTextPart):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="requirements", verbose_name=_("course")
    )

    class Meta(CourseTextPart.Meta):
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")


class LearningFormat(CourseTextPart):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="formats", verbose_name=_("course")
    )

    class Meta(CourseTextPart.Meta):
        verbose_name = _("learning format")
        verbose_name_plural = _("learning formats")


class QAItem(SeedContent):
    collection = models.ForeignKey(
        QACollection, on_delete=models.PROTECT, related_name="items", verbose_name=_("collection")
    )
    position = models.PositiveIntegerField(default=0, verbose_name=_("position"))
    number = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("number"))
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"))
    hashtags = models.JSONField(_("hashtags"), default=list, blank=True)
    # Reactions under a Telegram post: [{"emoji": "👍", "count": 4}]; an empty emoji is a
    # count whose emoji the export lost.
    reactions = models.JSONField(_("reactions"), default=list, blank=True)
    topics = models.ManyToManyField(
        Topic, related_name="qa_items", blank=True, verbose_name=_("topics")
    )
    # Near-duplicates in other seeds; both items are kept, each with its own source.
    see_also = models.ManyToManyField(
        "self", symmetrical=True, blank=True, verbose_name=_("see also")
    )

    class Meta:
        ordering = ["collection", "position"]
        verbose_name = _("question and answer")
        verbose_name_plural = _("questions and answers")

    def __str__(self) -> str:
        return self.question[:120]


class CaseStudy(CoursePart):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="cases", verbose_name=_("course")
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))
    title = models.CharField(_("title"), max_length=300)
    sections = models.JSONField(default=list, verbose_name=_("sections"))  # [{"title", "text"}]

    class Meta(CoursePart.Meta):
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")

    def __str__(self) -> str:
        return self.title


class RolePlay(CoursePart):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="roleplays", verbose_name=_("course")
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))
    title = models.CharField(_("title"), max_length=300)
    goal = models.TextField(_("goal"), blank=True)
    format = models.TextField(_("format"), blank=True)
    setting = models.TextField(_("setting"), blank=True)
    roles = models.JSONField(default=list, verbose_name=_("roles"))  # [{"title", "duties": [...]}]
    stages = models.JSONField(
        default=list, verbose_name=_("stages")
    )  # [{"number", "title", "duration", "text"}]
    effects = models.JSONField(default=list, verbose_name=_("effects"))
    challenges = models.JSONField(default=list, verbose_name=_("challenges"))
    results = models.TextField(_("results"), blank=True)
    extra = models.TextField(_("additionally"), blank=True)
    sections = models.JSONField(default=list, verbose_name=_("sections"))

    class Meta(CoursePart.Meta):
        verbose_name = _("role-play game")
        verbose_name_plural = _("role-play games")

    def __str__(self) -> str:
        return self.title


class MindMap(CoursePart):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="mindmaps", verbose_name=_("course")
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))
    title = models.CharField(_("title"), max_length=300)
    branches_title = models.CharField(
        max_length=200, blank=True, verbose_name=_("title of the branches")
    )
    tree = models.JSONField(verbose_name=_("tree"))  # {"label", "line", "children": [...]}

    class Meta(CoursePart.Meta):
        verbose_name = _("mind map")
        verbose_name_plural = _("mind maps")

    def __str__(self) -> str:
        return self.title


class LiteratureEntry(CoursePart):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="literature", verbose_name=_("course")
    )
    number = models.PositiveIntegerField(verbose_name=_("number"))
    title = models.TextField(_("title"))
    authors = models.TextField(_("authors"), blank=True)
    material_type = models.CharField(_("type"), max_length=200, blank=True)
    citation = models.TextField(_("citation"), blank=True)
    details = models.JSONField(default=list, verbose_name=_("details"))  # [[label, text]]

    class Meta(CoursePart.Meta):
        verbose_name = _("literature entry")
        verbose_name_plural = _("literature")

    def __str__(self) -> str:
        return self.title


class RelatedCourse(CoursePart):
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="related_courses", verbose_name=_("course")
    )
    title = models.CharField(_("title"), max_length=300)
    announcement = models.TextField(_("announcement"), blank=True)

    class Meta(CoursePart.Meta):
        verbose_name = _("related course")
        verbose_name_plural = _("related courses")

    def __str__(self) -> str:
        return self.title

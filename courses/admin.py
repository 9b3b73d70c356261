from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from courses import models


class SeedContentAdmin(admin.ModelAdmin):
    """Imported rows: their source file and lines are shown and never edited here (the seed
    is the source of truth; an edit would be overwritten by the next import)."""

    source_fields = ("source", "seed_key", "content_hash", "imported_at", "updated_at")
    list_filter = ("source_file", ("retired_at", admin.EmptyFieldListFilter))
    readonly_fields = source_fields

    @admin.display(description=_("source"), ordering="source_first_line")
    def source(self, obj) -> str:
        return obj.source


@admin.register(models.Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "name_en", "position")
    search_fields = ("slug", "name", "name_en")


@admin.register(models.Course)
class CourseAdmin(SeedContentAdmin):
    list_display = ("title", "slug", "source", "retired_at")
    search_fields = ("title", "slug")


@admin.register(models.QACollection)
class QACollectionAdmin(SeedContentAdmin):
    list_display = ("title", "source", "retired_at")
    filter_horizontal = ("courses",)


@admin.register(models.QAItem)
class QAItemAdmin(SeedContentAdmin):
    list_display = ("question", "collection", "number", "source", "retired_at")
    list_filter = ("collection", "topics", *SeedContentAdmin.list_filter)
    list_select_related = ("collection",)
    search_fields = ("question", "answer")
    filter_horizontal = ("topics", "see_also")


class CoursePartAdmin(SeedContentAdmin):
    list_display = ("__str__", "course", "source", "retired_at")
    list_filter = ("course", *SeedContentAdmin.list_filter)
    list_select_related = ("course",)


for model in (
    models.SyllabusTopic,
    models.Outcome,
    models.Requirement,
    models.LearningFormat,
    models.CaseStudy,
    models.RolePlay,
    models.MindMap,
    models.LiteratureEntry,
    models.RelatedCourse,
):
    admin.site.register(model, CoursePartAdmin)

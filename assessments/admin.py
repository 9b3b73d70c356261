from django import forms
from django.contrib import admin
from django.db import models as db_models
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from assessments import models
from assessments.reference_code import reference_code
from courses.admin import CoursePartAdmin, SeedContentAdmin


class MCQOptionInline(admin.TabularInline):
    model = models.MCQOption
    extra = 0
    fields = ("position", "letter", "text", "is_correct")
    # Options are a line each: a one-line input keeps the inline table within the screen.
    formfield_overrides = {
        db_models.TextField: {"widget": forms.TextInput(attrs={"class": "vTextField"})}
    }


@admin.register(models.MCQ)
class MCQAdmin(CoursePartAdmin):
    list_display = ("question", "course", "answer_text_mismatch", "source", "retired_at")
    list_filter = ("course", "answer_text_mismatch", "topics", *SeedContentAdmin.list_filter)
    search_fields = ("question",)
    filter_horizontal = ("topics",)
    inlines = [MCQOptionInline]


class TheoryQuestionInline(admin.StackedInline):
    model = models.TicketTheoryQuestion
    extra = 0
    fields = ("position", "question", "reference_answer")
    show_change_link = True


@admin.register(models.ExamTicket)
class ExamTicketAdmin(CoursePartAdmin):
    list_display = ("number", "course", "source", "retired_at")
    inlines = [TheoryQuestionInline]


@admin.register(models.TicketTheoryQuestion)
class TicketTheoryQuestionAdmin(SeedContentAdmin):
    list_display = ("question", "ticket", "source", "retired_at")
    list_select_related = ("ticket__course",)
    search_fields = ("question", "reference_answer")
    filter_horizontal = ("topics", "see_also")


@admin.register(models.PracticalTask)
class PracticalTaskAdmin(SeedContentAdmin):
    list_display = ("text", "ticket", "code_restored", "source", "retired_at")
    list_filter = ("code_restored", *SeedContentAdmin.list_filter)
    list_select_related = ("ticket__course",)
    readonly_fields = (*SeedContentAdmin.source_fields, "code_notes", "highlighted_code")
    exclude = ("code_warnings", "run_findings")
    filter_horizontal = ("topics",)

    @admin.display(description=_("what the import says about the code"))
    def code_notes(self, obj):
        notes = reference_code(obj).notes
        if not notes:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            "{}:{} — {}",
            ((obj.source_file, note.seed_line, note.text) for note in notes),
        )

    @admin.display(description=_("reference code"))
    def highlighted_code(self, obj):
        return reference_code(obj).html


@admin.register(models.QuestionDraft)
class QuestionDraftAdmin(admin.ModelAdmin):
    list_display = ("text", "course", "kind", "status", "source", "created_at")
    list_filter = ("status", "kind", "course")
    search_fields = ("text", "name")
    readonly_fields = ("created_by", "created_at", "reviewed_at")

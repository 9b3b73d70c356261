from django.contrib import admin

from study.models import Card, ReviewLog, StudySettings


@admin.register(StudySettings)
class StudySettingsAdmin(admin.ModelAdmin):
    list_display = ("learner", "time_zone", "new_cards_per_day", "evidence_checked_at")
    list_select_related = ("learner",)


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("id", "learner", "course", "state", "due", "reps", "lapses", "evidence")
    list_filter = ("course", "state", "evidence")
    list_select_related = ("learner", "course")
    raw_id_fields = ("learner", "qa_item", "theory_question")
    readonly_fields = ("version",)


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    list_display = ("id", "learner", "card", "rating", "state_before", "reviewed_at")
    list_select_related = ("learner",)
    raw_id_fields = ("learner", "card")

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the log is history: kept as it was

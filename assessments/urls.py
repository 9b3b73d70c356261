from django.urls import path

from assessments import instructor_views, views

urlpatterns = [
    path("", views.quiz_home, name="quiz_home"),
    path("practice/", views.start_practice, name="start_practice"),
    path("history/", views.history, name="quiz_history"),
    path("<int:quiz_id>/", views.quiz_detail, name="quiz_detail"),
    path("<int:quiz_id>/start/", views.start_quiz, name="start_quiz"),
    path("attempts/<int:attempt_id>/", views.attempt_take, name="attempt_take"),
    path("attempts/<int:attempt_id>/answer/", views.attempt_answer, name="attempt_answer"),
    path("attempts/<int:attempt_id>/timer/", views.attempt_timer, name="attempt_timer"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
    path("attempts/<int:attempt_id>/result/", views.attempt_result, name="attempt_result"),
    path("manage/", instructor_views.quiz_manage, name="quiz_manage"),
    path("manage/new/", instructor_views.quiz_create, name="quiz_create"),
    path("manage/<int:quiz_id>/edit/", instructor_views.quiz_edit, name="quiz_edit"),
    path("manage/<int:quiz_id>/analysis/", instructor_views.quiz_analysis, name="quiz_analysis"),
    path(
        "manage/courses/<slug:slug>/analysis/",
        instructor_views.course_analysis,
        name="course_item_analysis",
    ),
    path(
        "manage/courses/<slug:slug>/moodle.xml",
        instructor_views.export_moodle_xml,
        name="export_moodle_xml",
    ),
    path(
        "manage/courses/<slug:slug>/reference-solutions/",
        instructor_views.reference_solutions,
        name="reference_solutions",
    ),
    path("manage/courses/<slug:slug>/gift.txt", instructor_views.export_gift, name="export_gift"),
    path("manage/import/", instructor_views.import_bank, name="import_bank"),
    path("manage/drafts/", instructor_views.question_drafts_view, name="question_drafts"),
]

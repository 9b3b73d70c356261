from django.urls import path

from exams import authoring_views as authoring
from exams import exam_views, views

app_name = "exams"

urlpatterns = [
    # Learners
    path("", views.exam_list, name="exam_list"),
    path("<int:exam_id>/", views.exam_detail, name="exam_detail"),
    path("<int:exam_id>/draw/", views.exam_draw, name="exam_draw"),
    path("sessions/<int:session_id>/", views.session_take, name="session_take"),
    path("sessions/<int:session_id>/answer/", views.session_answer, name="session_answer"),
    path("sessions/<int:session_id>/practical/", views.session_practical, name="session_practical"),
    path("sessions/<int:session_id>/submit/", views.session_submit, name="session_submit"),
    path("sessions/<int:session_id>/result/", views.session_result, name="session_result"),
    # Instructors: tickets
    path("manage/", authoring.manage, name="manage"),
    path("manage/courses/<slug:slug>/", authoring.course_tickets, name="course_tickets"),
    path("manage/courses/<slug:slug>/sets/new/", authoring.set_create, name="set_create"),
    path("manage/courses/<slug:slug>/bank/", authoring.bank_search, name="bank_search"),
    path("manage/courses/<slug:slug>/generate/", authoring.generate_set, name="generate"),
    path("manage/sets/<int:set_id>/", authoring.set_detail, name="set_detail"),
    path("manage/sets/<int:set_id>/version/", authoring.set_new_version, name="set_new_version"),
    path("manage/sets/<int:set_id>/print/", authoring.set_print, name="set_print"),
    path("manage/sets/<int:set_id>/tickets/new/", authoring.ticket_create, name="ticket_create"),
    path("manage/tickets/<int:ticket_id>/", authoring.ticket_edit, name="ticket_edit"),
    path(
        "manage/tickets/<int:ticket_id>/practical/",
        authoring.ticket_practical,
        name="ticket_practical",
    ),
    path(
        "manage/tickets/<int:ticket_id>/questions/",
        authoring.ticket_add_question,
        name="ticket_add_question",
    ),
    path(
        "manage/tickets/<int:ticket_id>/questions/<int:position>/remove/",
        authoring.ticket_remove_question,
        name="ticket_remove_question",
    ),
    path(
        "manage/tickets/<int:ticket_id>/duplicate/",
        authoring.ticket_duplicate,
        name="ticket_duplicate",
    ),
    path("manage/tickets/<int:ticket_id>/retire/", authoring.ticket_retire, name="ticket_retire"),
    # Instructors: exams, grading, gradebook
    path("manage/courses/<slug:slug>/exams/new/", exam_views.exam_create, name="exam_create"),
    path("manage/exams/<int:exam_id>/", exam_views.exam_overview, name="exam_overview"),
    path("manage/exams/<int:exam_id>/edit/", exam_views.exam_edit, name="exam_edit"),
    path("manage/exams/<int:exam_id>/rubric/", exam_views.exam_rubric, name="exam_rubric"),
    path("manage/exams/<int:exam_id>/print/", authoring.exam_print, name="exam_print"),
    path("manage/grading/", exam_views.grading_queue, name="grading_queue"),
    path("manage/sessions/<int:session_id>/", exam_views.session_grade, name="session_grade"),
    path(
        "manage/sessions/<int:session_id>/publish/",
        exam_views.session_publish,
        name="session_publish",
    ),
    path("manage/courses/<slug:slug>/gradebook/", exam_views.course_gradebook, name="gradebook"),
    path(
        "manage/courses/<slug:slug>/gradebook.csv",
        exam_views.course_gradebook_csv,
        name="gradebook_csv",
    ),
]

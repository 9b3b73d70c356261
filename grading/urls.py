from django.urls import path

from grading import views

urlpatterns = [
    path("labs/", views.lab_list, name="lab_list"),
    path("labs/<slug:slug>/", views.lab_detail, name="lab_detail"),
    path("labs/<slug:slug>/submit/", views.submit, name="submit_solution"),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission_detail"),
    path(
        "submissions/<int:submission_id>/status/",
        views.submission_status,
        name="submission_status",
    ),
    path(
        "submissions/<int:submission_id>/report.html",
        views.submission_report,
        name="submission_report",
    ),
    path(
        "submissions/<int:submission_id>/files/<str:name>",
        views.submission_artifact,
        name="submission_artifact",
    ),
]

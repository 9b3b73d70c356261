from django.urls import path

from study import views

urlpatterns = [
    path("", views.dashboard, name="study_dashboard"),
    path("settings/", views.study_settings, name="study_settings"),
    path("revlog.csv", views.review_log_csv, name="study_review_log_csv"),
    path("cards/<int:card_id>/rate/", views.rate, name="study_rate"),
    path("learners/<int:user_id>/", views.learner_dashboard, name="study_learner"),
    path("<slug:slug>/review/", views.review, name="study_review"),
    path("<slug:slug>/mistakes/", views.practise_mistakes, name="study_mistakes"),
]

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from accounts.access import public

urlpatterns = [
    path("", include("core.urls")),
    path("accounts/", include("accounts.urls")),
    path("courses/", include("courses.urls")),
    path("quizzes/", include("assessments.urls")),
    path("labs/", include("labs.urls")),
    path("exams/", include("exams.urls")),
    path("study/", include("study.urls")),
    path("", include("grading.urls")),
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

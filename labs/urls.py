from django.urls import path

from labs import views

# The lab list and each lab's page are grading's (grading/urls.py), under the same labs/ prefix.
urlpatterns = [
    path("<slug:slug>/handout.ipynb", views.lab_handout, name="lab_handout"),
]

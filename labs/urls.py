from django.urls import path

from labs import views

urlpatterns = [
    path("", views.lab_list, name="lab_list"),
    path("<slug:slug>/", views.lab_detail, name="lab_detail"),
    path("<slug:slug>/handout.ipynb", views.lab_handout, name="lab_handout"),
]

from django.urls import path

from courses import views

urlpatterns = [
    path("", views.course_list, name="course_list"),
    path("<slug:slug>/", views.course_detail, name="course_detail"),
    path("<slug:slug>/questions/", views.qa_bank, name="course_qa_bank"),
    path("<slug:slug>/questions/<int:item_id>/", views.qa_item, name="course_qa_item"),
    path("<slug:slug>/cases/<int:number>/", views.case_detail, name="course_case"),
    path("<slug:slug>/roleplays/<int:number>/", views.roleplay_detail, name="course_roleplay"),
    path("<slug:slug>/mindmaps/<int:number>/", views.mindmap_detail, name="course_mindmap"),
    path("<slug:slug>/reading/", views.reading, name="course_reading"),
]

"""A URL configuration with a view that fails, for the 500 page test."""

from django.urls import path

from accounts.access import public


@public
def boom(request):
    raise RuntimeError("a deliberate failure")


urlpatterns = [path("boom/", boom)]

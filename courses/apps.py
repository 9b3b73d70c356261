from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Courses")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Not control flow: SQLite's search-index triggers call a Python function, which must
        # exist on every connection that may write a Q&A item (see courses/search.py).
        from courses.search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="courses_search_fns")

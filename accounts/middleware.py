"""Private by default: Django's LoginRequiredMiddleware, except for the admin site.

Every view of the site is closed to anonymous visitors unless it is declared ``public``
(accounts/access.py). The admin guards each of its views itself and sends anonymous visitors
to its own log-in page; left to the plain middleware, most admin URLs (model pages, the seed
upload, grading operations) would send them to the site's log-in page instead.
"""

from django.contrib.auth.middleware import LoginRequiredMiddleware


class PrivateByDefaultMiddleware(LoginRequiredMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.namespace == "admin":
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

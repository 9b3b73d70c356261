from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.access import public
from accounts.throttling import throttled

urlpatterns = [
    path("signup/", throttled("signup", views.signup), name="signup"),
    path(
        "login/",
        throttled("login", public(auth_views.LoginView.as_view(redirect_authenticated_user=True))),
        name="login",
    ),
    path("logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "password-reset/",
        throttled(
            "password_reset",
            public(
                auth_views.PasswordResetView.as_view(
                    success_url=reverse_lazy("password_reset_done"),
                    email_template_name="registration/password_reset_email.txt",
                    subject_template_name="registration/password_reset_subject.txt",
                )
            ),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        public(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        public(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        public(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    path("profile/", views.profile, name="profile"),
    path("learners/", views.learner_list, name="learner_list"),
    path("learners/<int:user_id>/", views.learner_detail, name="learner_detail"),
]

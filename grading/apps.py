from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings

        from grading.sandbox import configure

        # The sandbox never imports Django: its settings are handed to it here.
        configure(
            allow_no_cgroup=settings.SANDBOX_ALLOW_NO_CGROUP,
            environments=settings.LAB_ENVIRONMENTS,
            allow_no_gpu_watchdog=settings.SANDBOX_ALLOW_NO_GPU_WATCHDOG,
        )

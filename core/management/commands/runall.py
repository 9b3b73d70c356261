import os

from django.core.management.base import BaseCommand, CommandError

from core.launcher import (
    LaunchError,
    RunLock,
    allow_grading_without_cgroup_if_missing,
    check_port_free,
    check_services,
    child_commands,
    prepare_data,
    supervise,
)


class Command(BaseCommand):
    help = "Start the whole site on this machine: web server and a grading worker (Ctrl-C stops)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")

    def handle(self, *args, host: str, port: int | None, **options) -> None:
        from django.conf import settings

        if port is None:
            raw = os.environ.get("PORT", "8000")
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise CommandError(f"PORT: expected a port number, got {raw!r}")
            port = int(raw)
        say = self.stdout.write
        try:
            lock = RunLock(settings.VAR_DIR / "run.lock")  # held until this process ends
            lock.acquire(port)
            check_port_free(host, port)
            check_services()
            prepare_data(say)
        except LaunchError as error:
            raise CommandError(str(error)) from None
        allow_grading_without_cgroup_if_missing(lambda line: say(self.style.WARNING(line)))
        say(self.style.SUCCESS(f"The site is at http://{host}:{port}/ (Ctrl-C stops it)"))
        code = supervise(child_commands(host, port), say)
        if code:
            raise CommandError(f"A process of the platform stopped with code {code}.")

#!/usr/bin/env python
"""Django's command-line utility. A configuration error or an unreachable database prints a
message naming the variable to fix, not a traceback."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"Configuration error: {error}\n")
        sys.exit(2)
    except OperationalError as error:
        sys.stderr.write(f"Database error (check DATABASE_URL): {str(error).strip()}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()

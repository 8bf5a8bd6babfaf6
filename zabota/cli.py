"""The `zabota` console entry point: Django's management commands under one name.

zabota run | seed | demo | bench | ingest | createagent | token | migrate | ...
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zabota.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zabota", *sys.argv[1:]])


if __name__ == "__main__":
    main()

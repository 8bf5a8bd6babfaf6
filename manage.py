#!/usr/bin/env python
"""Django's manage.py; `zabota` is the same thing as a console command."""

from zabota.cli import main

if __name__ == "__main__":
    main()

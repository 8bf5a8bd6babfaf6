"""The Huey instance and every periodic schedule, one comment each.

Tasks live in each context's ``tasks.py`` (thin, take ids, idempotent) and are enqueued on
commit by listeners. No periodic schedules yet: SLA breach checks and mail polling add theirs
here.
"""

from huey.contrib.djhuey import HUEY as huey

__all__ = ["huey"]

"""Project configuration: settings, URLs, the one NinjaAPI, the Huey instance and schedules."""

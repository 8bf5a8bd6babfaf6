"""Forms of the workspace shell: sign-in (auth.py), preferences (me.py), settings pages (settings.py)."""

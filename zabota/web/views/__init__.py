"""The workspace shell's pages: sign-in, preferences, and the team leads' settings pages."""

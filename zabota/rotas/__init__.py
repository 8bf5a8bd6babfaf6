"""Rotas and support duty."""

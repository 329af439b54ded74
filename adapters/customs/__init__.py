"""Adapters serving the customs context."""

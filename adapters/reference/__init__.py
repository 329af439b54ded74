"""Adapters serving the reference context."""

"""Adapters serving the warehouse context."""

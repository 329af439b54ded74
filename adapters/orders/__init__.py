"""Adapters serving the orders context."""

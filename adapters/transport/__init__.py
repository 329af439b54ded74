"""Adapters serving the transport context."""

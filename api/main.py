"""ASGI entry point: `uvicorn api.main:app` (what `make serve` runs)."""

from api.app import create_app

app = create_app()

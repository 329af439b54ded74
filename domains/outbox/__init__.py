"""The outbox: shipment confirmations and tracking updates back to the sales channels, and the
buyer's (and customs team's) e-mails, derived from stored events (see messages.py)."""

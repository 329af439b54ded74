"""Transport: rate cards and quotes, carrier choice, labels, tracking and SLA alerts."""

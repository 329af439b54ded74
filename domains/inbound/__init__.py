"""Inbound shipments to our warehouses (advance shipping notices), receiving at the dock,
landed cost per unit, and transfers between warehouses."""

"""The logistics health metrics: definitions, pure calculations and admin-set targets."""

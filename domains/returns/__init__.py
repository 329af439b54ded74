"""Returns (RMA) and carrier claims: what comes back after dispatch, and what the carrier owes."""

"""Reports computed from projections and event history (pandas)."""

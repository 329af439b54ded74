"""Planning: demand forecasts, replenishment suggestions, slow movers and bundles."""

"""Planning adapters: the retail calendar (holidays package), the seeded synthetic demand
history for the demo, the statsmodels forecaster and association rules over order lines."""

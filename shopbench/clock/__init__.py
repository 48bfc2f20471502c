"""The clock: pure deadline and cap arithmetic (budget) and the run's clock state in the model (pacing)."""

"""HTTP helpers every service installs: problems, limits, health, metrics."""

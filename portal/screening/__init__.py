"""排查: screening rounds, their cadence by tier, and the rounds that are overdue."""

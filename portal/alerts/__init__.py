"""Early warning (预警): statistics and rules over the cases a person may see; see docs/early-warning.md."""

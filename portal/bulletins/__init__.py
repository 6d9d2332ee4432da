"""The monthly 研判预警专报: drafted from the statistics and the alerts, edited, issued as PDF/A with an annex."""

"""Statistics (统计分析): the indicator registry, breakdowns with drill-down, charts, Excel and the register check."""

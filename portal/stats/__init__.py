"""Statistics (统计分析): the indicator registry, breakdowns with drill-down, charts, Excel and the register check."""

from portal.stats import facts

facts.listen()  # keeps the facts the statistics count right in every transaction that changes a case

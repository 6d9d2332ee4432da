"""联席会议 (joint meetings, DOMAIN §8): the record of a meeting, the cases it discussed and the decisions it assigned,
each decision an item on the 问题清单 so that 销号 tracks it; minutes printable as PDF."""

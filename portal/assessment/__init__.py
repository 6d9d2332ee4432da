"""考核: monthly assessment of bodies by a rubric (DOMAIN §8, docs/assessment.md)."""

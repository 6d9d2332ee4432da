"""问题清单: the dynamic list of problems found, registered, resolved and struck off."""

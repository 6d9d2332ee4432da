"""Organisations (组织机构): the tree of tiers and the bodies beside them."""

"""专家库: the expert pool that mediators consult."""

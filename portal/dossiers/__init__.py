"""Bound dossiers (卷宗): printing, binding, filing, fixity, retention and hand-over, around archive/."""

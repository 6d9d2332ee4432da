"""Dossier binding, PDF/A and archival storage (built in the dossier issue)."""

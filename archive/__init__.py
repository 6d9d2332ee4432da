"""Dossier binding and archival storage: compose the 卷宗 from plain data, render it to PDF/A, store it
with checksums, verify fixity. Knows nothing of the portal: it takes dataclasses and returns bytes/records.
"""

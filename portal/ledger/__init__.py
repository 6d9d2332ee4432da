"""The case ledger (台账): JSON Lines export and import, plus flat CSV/XLSX import (docs/import-format.md)."""

"""The audit trail (操作日志): append-only, hash-chained."""

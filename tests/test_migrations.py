"""The migrations are the schema: they match the models exactly, and go down and up again cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from portal.db import alembic_config, migrate
from portal.models import metadata


def test_the_migrated_schema_matches_the_models(engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_migrations_go_down_to_nothing_and_back_up(engine, db_url) -> None:
    engine.dispose()
    command.downgrade(alembic_config(db_url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate(db_url)
    assert {"organisation", "person", "case", "case_file", "audit_head"} <= set(inspect(engine).get_table_names())


def test_every_index_led_by_a_path_has_pattern_ops_for_prefix_like_on_postgresql() -> None:
    """Scope filters match materialised paths by prefix; under a non-C collation PostgreSQL needs pattern ops."""
    led_by_path = [
        index
        for table in metadata.tables.values()
        for index in table.indexes
        if list(index.columns)[0].name.endswith("path")
    ]
    assert len(led_by_path) >= 9
    for index in led_by_path:
        first = list(index.columns)[0].name
        assert index.dialect_options["postgresql"]["ops"].get(first) == "varchar_pattern_ops", index.name

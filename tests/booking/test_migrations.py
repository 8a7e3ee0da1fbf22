"""Alembic: upgrading an empty database yields exactly the models' schema, and downgrades cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import booking.models  # noqa: F401 - registers the tables
from booking.db import current_revision, migrate, open_engine


def test_upgrade_from_empty_matches_models(db_url: str) -> None:
    engine = open_engine(db_url)
    assert current_revision(engine) is None
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    assert current_revision(engine) is not None
    migrate(engine)  # running again is harmless
    engine.dispose()


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    engine = open_engine(db_url)
    migrate(engine)
    _downgrade(engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert {"appointment", "patient", "practitioner", "motif"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def _downgrade(engine: object) -> None:
    from alembic import command

    from booking.db import alembic_config

    command.downgrade(alembic_config(engine), "base")  # type: ignore[arg-type]

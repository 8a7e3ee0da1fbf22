"""Alembic environment: runs migrations on the engine passed in `config.attributes["engine"]`."""

from alembic import context
from sqlalchemy import text
from sqlmodel import SQLModel

import booking.models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        # Several bot processes may start at once: one migrates, the others wait.
        connection.execute(text("SELECT pg_advisory_xact_lock(7305640)"))
    context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

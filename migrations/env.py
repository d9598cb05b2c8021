"""Alembic environment: the schema is workflow.adapters.tables.metadata; the URL comes from the caller
(workflow.adapters.db.migrate) or DATABASE_URL."""
import os

from alembic import context
from sqlalchemy import create_engine, pool

from workflow.adapters.db import normalise_url
from workflow.adapters.tables import metadata, schema_filter

config = context.config
url = normalise_url(config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
                    or config.get_main_option("sqlalchemy.url"))


def run_migrations_offline():
    context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True,
                      include_object=schema_filter(url.split(":", 1)[0].split("+", 1)[0]))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                          include_object=schema_filter(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

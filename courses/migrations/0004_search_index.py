"""The full-text index of the Q&A bank: a generated tsvector column with a GIN index on
PostgreSQL, an FTS5 table kept in step by triggers on SQLite (see courses/search.py)."""

from django.db import migrations


def create_index(apps, schema_editor):
    from courses import search

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        statements = search.POSTGRESQL_INDEX_SQL
    elif connection.vendor == "sqlite":
        # The connection may predate the app's receiver (it is connected in ready()).
        search.register_sqlite_functions(None, connection)
        statements = [*search.SQLITE_INDEX_SQL, *search.SQLITE_REBUILD_SQL]
    else:
        return
    for statement in statements:
        schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    from courses import search

    vendor = schema_editor.connection.vendor
    statements = {
        "postgresql": search.POSTGRESQL_DROP_SQL,
        "sqlite": search.SQLITE_DROP_SQL,
    }.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    # After the columns of 0002-0003: on SQLite, a table that Django rebuilds loses its triggers.
    dependencies = [("courses", "0003_verbose_names")]

    operations = [migrations.RunPython(create_index, drop_index)]

"""Database protections the ORM does not express, as migration operations.

Append-only ledgers and frozen rows are refused by triggers, so that no code path (a service,
a shell, a bulk update) can rewrite what the portal keeps as proof.
"""

from django.db import migrations


def _row_trigger(table: str, name: str, body: str) -> migrations.RunSQL:
    """A BEFORE UPDATE OR DELETE trigger on each row of `table`, running the PL/pgSQL `body`."""
    return migrations.RunSQL(
        [
            f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                {body}
            END;
            $$ LANGUAGE plpgsql
            """,
            f"""
            CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {name}()
            """,
        ],
        reverse_sql=[
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"DROP FUNCTION IF EXISTS {name}()",
        ],
    )


def append_only_table(table: str) -> migrations.RunSQL:
    """Refuse UPDATE and DELETE of any row of `table` (a ledger or an audit trail). The
    trigger is named `<table>_append_only`: key rotation (core.rotation) finds it by that."""
    return _row_trigger(
        table,
        f"{table}_append_only",
        "RAISE EXCEPTION '% on %: rows are append-only', TG_OP, TG_TABLE_NAME"
        " USING ERRCODE = 'restrict_violation';",
    )


def frozen_when(table: str, column: str, *, name: str) -> migrations.RunSQL:
    """Refuse UPDATE and DELETE of rows whose `column` is set (e.g. published versions)."""
    return _row_trigger(
        table,
        name,
        f"""IF OLD.{column} IS NOT NULL THEN
                    RAISE EXCEPTION '% on %: row % is frozen', TG_OP, TG_TABLE_NAME, OLD.id
                        USING ERRCODE = 'restrict_violation';
                END IF;
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;""",
    )


def trigram_index(table: str, expression: str, *, name: str) -> migrations.RunSQL:
    """A pg_trgm GIN index so that `LIKE '%fragment%'` on `expression` uses an index."""
    return migrations.RunSQL(
        [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)",
        ],
        reverse_sql=[f"DROP INDEX IF EXISTS {name}"],
    )


# --- Other databases on the portal's server ---------------------------------------------------


def database_url(settings_dict: dict, name: str) -> str:
    """A libpq URL of database `name` on the server of `settings_dict` (a DATABASES entry),
    with its credentials: a TCP host, or a Unix socket folder (the embedded server)."""
    from urllib.parse import quote

    options = settings_dict.get("OPTIONS") or {}
    user = settings_dict.get("USER") or options.get("user") or "postgres"
    password = settings_dict.get("PASSWORD") or options.get("password") or ""
    host = settings_dict.get("HOST") or options.get("host") or ""
    port = str(settings_dict.get("PORT") or options.get("port") or "")
    credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    if not host or host.startswith("/"):
        query = [f"host={quote(host, safe='/')}"] if host else []
        query += [f"port={port}"] if port else []
        return f"postgresql://{credentials}@/{quote(name, safe='')}" + (
            f"?{'&'.join(query)}" if query else ""
        )
    return f"postgresql://{credentials}@{host}{f':{port}' if port else ''}/{quote(name, safe='')}"


def database_ensure(settings_dict: dict, name: str) -> str:
    """Create database `name` on the portal's server unless it exists; its URL."""
    import psycopg

    with psycopg.connect(database_url(settings_dict, "postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    return database_url(settings_dict, name)


def database_drop(settings_dict: dict, name: str) -> None:
    import psycopg

    with psycopg.connect(database_url(settings_dict, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

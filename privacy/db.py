"""Database features the ORM does not express: per-vendor SQL in migrations.

The portal runs on PostgreSQL in production and SQLite for `make run`; protections such as
append-only tables are written for both, so the demo behaves like the real thing.
"""

from django.db.migrations.operations.base import Operation


class VendorSQL(Operation):
    """Run SQL chosen by the database vendor; vendors without SQL here are skipped."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, *, forwards: dict[str, list[str]], backwards: dict[str, list[str]]):
        self.forwards = forwards
        self.backwards = backwards

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"forwards": self.forwards, "backwards": self.backwards},
        )

    def state_forwards(self, app_label, state):
        pass

    def _run(self, schema_editor, statements):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.forwards)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._run(schema_editor, self.backwards)

    def describe(self):
        return "Vendor-specific SQL"


def append_only_table(table: str) -> VendorSQL:
    """Refuse UPDATE and DELETE of any row of `table` (a ledger or an audit trail)."""
    function = f"{table}_append_only"
    return VendorSQL(
        forwards={
            "postgresql": [
                f"""
                CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
                BEGIN
                    RAISE EXCEPTION '% on %: rows are append-only', TG_OP, TG_TABLE_NAME
                        USING ERRCODE = 'restrict_violation';
                END;
                $$ LANGUAGE plpgsql
                """,
                f"""
                CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {function}()
                """,
            ],
            "sqlite": [
                f"""
                CREATE TRIGGER {function}_update BEFORE UPDATE ON {table}
                BEGIN SELECT RAISE(ABORT, 'UPDATE on {table}: rows are append-only'); END
                """,
                f"""
                CREATE TRIGGER {function}_delete BEFORE DELETE ON {table}
                BEGIN SELECT RAISE(ABORT, 'DELETE on {table}: rows are append-only'); END
                """,
            ],
        },
        backwards={
            "postgresql": [
                f"DROP TRIGGER IF EXISTS {function} ON {table}",
                f"DROP FUNCTION IF EXISTS {function}()",
            ],
            "sqlite": [
                f"DROP TRIGGER IF EXISTS {function}_update",
                f"DROP TRIGGER IF EXISTS {function}_delete",
            ],
        },
    )


def frozen_when(table: str, column: str, *, name: str) -> VendorSQL:
    """Refuse UPDATE and DELETE of rows whose `column` is set (e.g. published versions)."""
    return VendorSQL(
        forwards={
            "postgresql": [
                f"""
                CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
                BEGIN
                    IF OLD.{column} IS NOT NULL THEN
                        RAISE EXCEPTION '% on %: row % is frozen', TG_OP, TG_TABLE_NAME, OLD.id
                            USING ERRCODE = 'restrict_violation';
                    END IF;
                    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                    RETURN NEW;
                END;
                $$ LANGUAGE plpgsql
                """,
                f"""
                CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {name}()
                """,
            ],
            "sqlite": [
                f"""
                CREATE TRIGGER {name}_update BEFORE UPDATE ON {table}
                WHEN OLD.{column} IS NOT NULL
                BEGIN SELECT RAISE(ABORT, 'UPDATE on {table}: row is frozen'); END
                """,
                f"""
                CREATE TRIGGER {name}_delete BEFORE DELETE ON {table}
                WHEN OLD.{column} IS NOT NULL
                BEGIN SELECT RAISE(ABORT, 'DELETE on {table}: row is frozen'); END
                """,
            ],
        },
        backwards={
            "postgresql": [
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()",
            ],
            "sqlite": [
                f"DROP TRIGGER IF EXISTS {name}_update",
                f"DROP TRIGGER IF EXISTS {name}_delete",
            ],
        },
    )


def trigram_index(table: str, expression: str, *, name: str) -> VendorSQL:
    """A pg_trgm GIN index so that `LIKE '%fragment%'` on `expression` uses an index.

    PostgreSQL only; on SQLite (the demo) partial search scans, which is fine at demo size.
    """
    return VendorSQL(
        forwards={
            "postgresql": [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                f"USING gin (({expression}) gin_trgm_ops)",
            ]
        },
        backwards={"postgresql": [f"DROP INDEX IF EXISTS {name}"]},
    )

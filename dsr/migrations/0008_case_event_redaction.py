"""The case timeline stays append-only, with one exception: pruning may blank a note (the
redaction of free text about a person); every other column of every row stays as written."""

from django.db import migrations

FUNCTION = "dsr_caseevent_append_only"

REDACTION_ONLY = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.note = '' AND NEW.id = OLD.id AND NEW.case_id = OLD.case_id
       AND NEW.at = OLD.at AND NEW.kind = OLD.kind AND NEW.from_status = OLD.from_status
       AND NEW.to_status = OLD.to_status AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% on %: rows are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""

STRICT = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% on %: rows are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql
"""

class Migration(migrations.Migration):
    dependencies = [("dsr", "0007_case_pruning")]

    operations = [migrations.RunSQL(REDACTION_ONLY, reverse_sql=STRICT)]

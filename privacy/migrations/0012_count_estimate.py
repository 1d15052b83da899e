from django.db import migrations

# The planner's estimate of how many rows a query returns, for the admin's paginator
# (core.admin_tools.count_or_estimate): EXPLAIN plans the query without running it.
COUNT_ESTIMATE = """
CREATE OR REPLACE FUNCTION privacy_count_estimate(query text) RETURNS bigint AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
END;
$$ LANGUAGE plpgsql
"""


class Migration(migrations.Migration):
    dependencies = [("privacy", "0011_scale_indexes")]

    operations = [
        migrations.RunSQL(
            COUNT_ESTIMATE, reverse_sql="DROP FUNCTION IF EXISTS privacy_count_estimate(text)"
        )
    ]

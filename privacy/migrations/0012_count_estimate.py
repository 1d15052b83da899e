from django.db import migrations

from privacy.db import VendorSQL

# The planner's estimate of how many rows a query returns, for the admin's paginator
# (privacy.admin_tools.count_or_estimate): EXPLAIN plans the query without running it.
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
        VendorSQL(
            forwards={"postgresql": [COUNT_ESTIMATE]},
            backwards={"postgresql": ["DROP FUNCTION IF EXISTS privacy_count_estimate(text)"]},
        )
    ]

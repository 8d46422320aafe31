"""重组 (issue 17): a restructuring floor's observation end is a column, so end-of-day can propose lifting the floor
when the observation has run its course (it was written only in the floor's reason). Existing restructuring floors get
the date back from that reason ("…观察期至 YYYY-MM-DD")."""

import re

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

UNTIL = re.compile(r"观察期至 (\d{4}-\d{2}-\d{2})")


async def backfill_floor_until(apps, schema_editor) -> None:
    db = schema_editor.client
    rows = await db.execute_query_dict("SELECT id, floor_reason FROM loan_risk WHERE floor_kind = 'restructured'")
    for row in rows:
        found = UNTIL.search(row["floor_reason"] or "")
        if found:
            await db.execute_query("UPDATE loan_risk SET floor_until = $1 WHERE id = $2" if db.capabilities.dialect == "postgres"
                                   else "UPDATE loan_risk SET floor_until = ? WHERE id = ?", [found.group(1), str(row["id"])])


class Migration(migrations.Migration):
    dependencies = [('models', '0050_online_offer_expiry')]

    initial = False

    operations = [
        ops.AddField(model_name='LoanRisk', name='floor_until', field=fields.DateField(null=True)),
        ops.RunPython(backfill_floor_until),
    ]

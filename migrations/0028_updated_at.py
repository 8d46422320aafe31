"""`updated_at` on customer, credit_line, loan and installment (issue 16): when a business event last changed the row
(a transaction, a status, a class, a limit), for incremental sync by reporting tools; the daily accrual does not move it.

Existing rows take their creation time (an installment its loan's). Nullable so the column can be added to a
filled table; every write through the models sets it (auto_now) and the end-of-day SQL sets it on the events it books.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


async def backfill_updated_at(apps, schema_editor) -> None:
    for table in ("customer", "credit_line", "loan"):
        await schema_editor.client.execute_script(f"UPDATE {table} SET updated_at = created_at")
    await schema_editor.client.execute_script("UPDATE installment SET updated_at = (SELECT l.created_at FROM loan l WHERE l.id = installment.loan_id)")
    for table in ("customer", "credit_line", "loan", "installment"):  # keyset paging of the reporting tables: (updated_at, id)
        await schema_editor.client.execute_script(f"CREATE INDEX IF NOT EXISTS idx_{table}_updated_at_id ON {table} (updated_at, id)")


class Migration(migrations.Migration):
    dependencies = [('models', '0027_persisted_documents')]

    initial = False

    operations = [
        ops.AddField(model_name='Customer', name='updated_at', field=fields.DatetimeField(auto_now=True, null=True)),
        ops.AddField(model_name='CreditLine', name='updated_at', field=fields.DatetimeField(auto_now=True, null=True)),
        ops.AddField(model_name='Loan', name='updated_at', field=fields.DatetimeField(auto_now=True, null=True)),
        ops.AddField(model_name='Installment', name='updated_at', field=fields.DatetimeField(auto_now=True, null=True)),
        ops.RunPython(backfill_updated_at),
    ]

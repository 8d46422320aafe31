"""PII scope of a report key (issue 16): with it, reportCustomers gives whole names, ID numbers and phones (audited per read)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0034_loan_application_quote')]

    initial = False

    operations = [
        ops.AddField(model_name='ReportKey', name='pii_scope', field=fields.BooleanField(default=False, db_default=False)),
    ]

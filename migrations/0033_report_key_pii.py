"""PII scope of a report key (issue 16): with it, reportCustomers gives whole names, ID numbers and phones (audited per read).

Also joins the three 0032 migrations that landed side by side into one chain again."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0032_external_data'), ('models', '0032_import_record'), ('models', '0032_loan_application_quote')]

    initial = False

    operations = [
        ops.AddField(model_name='ReportKey', name='pii_scope', field=fields.BooleanField(default=False)),
    ]

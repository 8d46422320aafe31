"""External data batch import (issue 20): an imported row keeps its provenance on the query table it fills —
the file's SHA-256 and name, and the file's rows for that customer."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0038_loan_renewal')]

    initial = False

    operations = [
        ops.AddField(model_name='ExternalDataQuery', name='import_sha256', field=fields.CharField(max_length=64, null=True, db_index=True)),
        ops.AddField(model_name='ExternalDataQuery', name='import_file', field=fields.CharField(max_length=255, null=True)),
        ops.AddField(model_name='ExternalDataQuery', name='import_rows', field=fields.JSONField(null=True)),
    ]

"""Portfolio import (issue 18): import_record maps each source-system key (per bank and kind) to the record it became."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0032_external_data")]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportRecord',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='import_records', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=16)),
                ('source_key', fields.CharField(max_length=64)),
                ('entity_id', fields.UUIDField()),
                ('file_sha256', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'import_record', 'app': 'models', 'unique_together': (('bank', 'kind', 'source_key'),), 'pk_attr': 'id',
                     'table_description': "One imported row: (bank, kind, the source system's key) → the record created from it."},
            bases=['Model'],
        ),
    ]

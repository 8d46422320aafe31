"""Persisted documents (issue 16): the trusted GraphQL documents of app builds, imported by `cunxin import-manifest`."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0026_maker_checker')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PersistedDocument',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('manifest', fields.CharField(max_length=64)),
                ('document_id', fields.CharField(db_index=True, max_length=128)),
                ('operation_name', fields.CharField(max_length=128)),
                ('operation_type', fields.CharField(max_length=16)),
                ('body', fields.TextField(unique=False)),
                ('imported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'persisted_document', 'app': 'models', 'unique_together': (('manifest', 'document_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]

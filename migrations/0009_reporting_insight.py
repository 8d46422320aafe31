from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.domain.tags import Occupation, Tag
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_identity')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CustomerProfile',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.OneToOneField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='profile', on_delete=OnDelete.CASCADE)),
                ('occupation', fields.CharEnumField(null=True, description='FARMER: farmer\nGROWER: grower\nLIVESTOCK: livestock\nBUSINESS: business\nWORKER: worker\nPUBLIC_SERVANT: public_servant\nOTHER: other', enum_type=Occupation, max_length=24)),
                ('land_area_mu', fields.IntField(null=True)),
                ('manual_tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'customer_profile', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerTag',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='tags', on_delete=OnDelete.CASCADE)),
                ('tag', fields.CharEnumField(description='OVERDUE_HISTORY: overdue_history\nCURRENTLY_OVERDUE: currently_overdue\nLARGE_BORROWER: large_borrower\nPUBLIC_SERVANT: public_servant\nLARGE_GROWER: large_grower\nPRIME: prime', enum_type=Tag, max_length=32)),
                ('since_on', fields.DateField()),
                ('refreshed_on', fields.DateField()),
            ],
            options={'table': 'customer_tag', 'app': 'models', 'unique_together': (('customer', 'tag'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReportKey',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=64)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('prefix', fields.CharField(max_length=16)),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='report_keys', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('models.Officer', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='report_keys_created', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_by', fields.ForeignKeyField('models.Officer', source_field='revoked_by_id', null=True, db_constraint=True, to_field='id', related_name='report_keys_revoked', on_delete=OnDelete.SET_NULL)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report_key', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]

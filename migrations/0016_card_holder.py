from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.borrower import CardBindingStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_login_throttle')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CardBinding',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='card_bindings', on_delete=OnDelete.CASCADE)),
                ('card_number_enc', fields.BinaryField()),
                ('card_number_hash', fields.CharField(db_index=True, max_length=64)),
                ('card_number_masked', fields.CharField(max_length=24)),
                ('phone_hash', fields.CharField(max_length=64)),
                ('phone_masked', fields.CharField(max_length=11)),
                ('code_hash', fields.CharField(max_length=64)),
                ('bank_name', fields.CharField(max_length=64)),
                ('branch_name', fields.CharField(default='', max_length=64)),
                ('is_own_bank', fields.BooleanField()),
                ('status', fields.CharEnumField(default=CardBindingStatus.PENDING, description='PENDING: pending\nBOUND: bound\nLOCKED: locked', enum_type=CardBindingStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('requested_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('bound_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('card', fields.ForeignKeyField('models.BankCard', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='bindings', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'card_binding', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A card binding waiting for the SMS code sent to the phone reserved at the bank (预留手机号).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='BankCard',
            name='verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]

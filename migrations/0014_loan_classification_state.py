from tortoise import migrations
from tortoise.migrations import operations as ops
from app.domain.classification import FloorKind, LoanClass
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_core_outcomes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ClassUpgradeProposal',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='upgrade_proposals', on_delete=OnDelete.CASCADE)),
                ('raised_on', fields.DateField()),
                ('from_class', fields.CharEnumField(description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('proposed_class', fields.CharEnumField(description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('observed_from', fields.DateField()),
                ('status', fields.CharField(default='pending', max_length=16)),
                ('decided_class', fields.CharEnumField(null=True, description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('decided_by', fields.ForeignKeyField('models.Officer', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='upgrade_decisions', on_delete=OnDelete.SET_NULL)),
                ('decided_on', fields.DateField(null=True)),
                ('note', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'class_upgrade_proposal', 'app': 'models', 'pk_attr': 'id', 'table_description': "Raised by end-of-day when a non-performing loan's observation has run its course. An approver decides."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoanClassChange',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='class_changes', on_delete=OnDelete.CASCADE)),
                ('business_on', fields.DateField(db_index=True)),
                ('from_class', fields.CharEnumField(description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('to_class', fields.CharEnumField(description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('days_past_due', fields.IntField(default=0)),
                ('source', fields.CharField(max_length=16)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='class_changes', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'loan_class_change', 'app': 'models', 'pk_attr': 'id', 'table_description': "Every change of a loan's class: by end-of-day (days past due, floors), an officer's floor or an approved upgrade."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoanRisk',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.OneToOneField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='risk', on_delete=OnDelete.CASCADE)),
                ('floor_class', fields.CharEnumField(null=True, description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('floor_kind', fields.CharEnumField(null=True, description='MANUAL: manual\nRESTRUCTURED: restructured', enum_type=FloorKind, max_length=16)),
                ('floor_reason', fields.CharField(default='', max_length=200)),
                ('floor_set_by', fields.ForeignKeyField('models.Officer', source_field='floor_set_by_id', null=True, db_constraint=True, to_field='id', related_name='class_floors', on_delete=OnDelete.SET_NULL)),
                ('floor_set_on', fields.DateField(null=True)),
                ('observing_since', fields.DateField(null=True)),
                ('non_accrual_since', fields.DateField(null=True)),
                ('off_interest_fen', fields.BigIntField(default=0)),
                ('off_penalty_fen', fields.BigIntField(default=0)),
                ('off_compound_fen', fields.BigIntField(default=0)),
                ('off_accrued_fen', fields.BigIntField(default=0)),
            ],
            options={'table': 'loan_risk', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]

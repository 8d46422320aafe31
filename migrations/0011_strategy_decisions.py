from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.models.risk import RiskOutcome, RuleSetKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_visits')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RiskStrategyDecision',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='strategy_decisions', on_delete=OnDelete.RESTRICT)),
                ('visit', fields.ForeignKeyField('models.Visit', source_field='visit_id', null=True, db_constraint=True, to_field='id', related_name='strategy_decisions', on_delete=OnDelete.RESTRICT)),
                ('product_code', fields.CharField(max_length=32)),
                ('ruleset_version', fields.CharField(max_length=64)),
                ('decision', fields.CharEnumField(description='PASS: pass\nREVIEW: review\nREJECT: reject', enum_type=RiskOutcome, max_length=16)),
                ('hits', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('limit_fen', fields.BigIntField()),
                ('limit_binding', fields.CharField(max_length=32)),
                ('limit_detail', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('spread_bp', fields.IntField()),
                ('grade', fields.CharField(null=True, max_length=16)),
                ('pricing_source', fields.CharField(max_length=32)),
                ('annual_income_fen', fields.BigIntField(null=True)),
                ('explanation', fields.TextField(unique=False)),
                ('decided_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('models.Officer', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='strategy_decisions', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'strategy_decision', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The admission, anti-fraud, limit and pricing outcome for one customer and product.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='LoanApplication',
            name='strategy_decision',
            field=fields.ForeignKeyField('models.RiskStrategyDecision', source_field='strategy_decision_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT),
        ),
        ops.AlterField(
            model_name='RuleSetVersion',
            name='kind',
            field=fields.CharEnumField(description='REJECT: reject\nSTRATEGY: strategy', enum_type=RuleSetKind, max_length=16),
        ),
    ]

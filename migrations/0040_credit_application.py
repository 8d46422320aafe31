"""Online credit (issue 20): an application for an online credit line in the app — the data used, the decision, the offer, the line."""

import functools
from json import dumps, loads
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from app.domain.external_data import CreditApplicationStatus, ExternalSource


def _json(**kw):
    return fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads, **kw)


def _fk(model, name, related, **kw):
    return fields.ForeignKeyField(model, source_field=f'{name}_id', db_constraint=True, to_field='id', related_name=related, on_delete=OnDelete.RESTRICT, **kw)


class Migration(migrations.Migration):
    dependencies = [('models', '0039_external_import')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CreditApplication',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', _fk('models.Customer', 'customer', 'credit_applications')),
                ('product', _fk('models.Product', 'product', 'credit_applications')),
                ('idempotency_key', fields.UUIDField()),
                ('source', fields.CharEnumField(description='HOUSING_FUND: housing_fund\nSOCIAL_INSURANCE: social_insurance\nTAX: tax\nGRAIN_SUBSIDY: grain_subsidy\nINSURANCE: insurance\nSTATE_GRID: state_grid', enum_type=ExternalSource, max_length=24)),
                ('status', fields.CharEnumField(description='OFFERED: offered\nREFUSED: refused\nREFERRED: referred\nACTIVE: active', enum_type=CreditApplicationStatus, max_length=16)),
                ('strategy_version', fields.CharField(max_length=64)),
                ('risk_decision', _fk('models.RiskDecision', 'risk_decision', 'credit_applications', null=True)),
                ('strategy_decision', _fk('models.RiskStrategyDecision', 'strategy_decision', 'credit_applications', null=True)),
                ('external_query', _fk('models.ExternalDataQuery', 'external_query', 'credit_applications', null=True)),
                ('decision', _json()),
                ('message', fields.TextField(default='', unique=False)),
                ('limit_fen', fields.BigIntField(default=0)),
                ('spread_bp', fields.IntField(null=True)),
                ('lpr_ppm', fields.IntField(null=True)),
                ('annual_rate_ppm', fields.IntField(null=True)),
                ('max_term_months', fields.IntField(null=True)),
                ('methods', _json(null=True)),
                ('applied_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('review_requested_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('review_reason', fields.CharField(default='', max_length=256)),
                ('accepted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('contract_document', _fk('models.Document', 'contract_document', 'credit_applications', null=True)),
                ('credit_line', _fk('models.CreditLine', 'credit_line', 'credit_applications', null=True)),
            ],
            options={'table': 'credit_application', 'app': 'models', 'unique_together': (('customer', 'idempotency_key'),), 'pk_attr': 'id', 'table_description': 'An application for an online credit line (授信申请) in the app: the data it used, the decision, the offer, the line.'},
            bases=['Model'],
        ),
    ]

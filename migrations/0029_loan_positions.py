"""Daily loan positions (loan_position) and month-end snapshots (loan_position_month_end), issue 16: written set-based by the close."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from app.domain.classification import LoanClass
from app.domain.vocabulary import LoanStatus
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    # after both 0028s (updated_at and write-off each landed an 0028 after 0027): this one joins the two heads again
    dependencies = [('models', '0028_updated_at'), ('models', '0028_write_off')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoanPosition',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('business_on', fields.DateField()),
                ('loan_id', fields.UUIDField()),
                ('bank_id', fields.UUIDField()),
                ('branch_id', fields.UUIDField()),
                ('customer_id', fields.UUIDField()),
                ('product_id', fields.UUIDField()),
                ('status', fields.CharEnumField(description='DISBURSING: disbursing\nACTIVE: active\nSETTLED: settled\nWRITTEN_OFF: written_off\nCANCELLED: cancelled', enum_type=LoanStatus, max_length=16)),
                ('classification', fields.CharEnumField(description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('days_past_due', fields.IntField()),
                ('annual_rate_ppm', fields.IntField()),
                ('outstanding_principal_fen', fields.BigIntField()),
                ('overdue_principal_fen', fields.BigIntField()),
                ('overdue_interest_fen', fields.BigIntField()),
                ('accrued_interest_fen', fields.BigIntField()),
                ('penalty_fen', fields.BigIntField()),
                ('compound_fen', fields.BigIntField()),
                ('non_accrual', fields.BooleanField()),
                ('off_interest_fen', fields.BigIntField()),
                ('off_penalty_fen', fields.BigIntField()),
                ('off_compound_fen', fields.BigIntField()),
                ('off_accrued_fen', fields.BigIntField()),
            ],
            options={'table': 'loan_position', 'app': 'models', 'unique_together': (('business_on', 'loan_id'),), 'indexes': [Index(fields=['bank_id', 'business_on'])], 'pk_attr': 'id', 'table_description': 'One loan at the end of one business date (kept for the retention setting).'},
            bases=['_PositionFields'],
        ),
        ops.CreateModel(
            name='LoanPositionMonthEnd',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('business_on', fields.DateField()),
                ('loan_id', fields.UUIDField()),
                ('bank_id', fields.UUIDField()),
                ('branch_id', fields.UUIDField()),
                ('customer_id', fields.UUIDField()),
                ('product_id', fields.UUIDField()),
                ('status', fields.CharEnumField(description='DISBURSING: disbursing\nACTIVE: active\nSETTLED: settled\nWRITTEN_OFF: written_off\nCANCELLED: cancelled', enum_type=LoanStatus, max_length=16)),
                ('classification', fields.CharEnumField(description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('days_past_due', fields.IntField()),
                ('annual_rate_ppm', fields.IntField()),
                ('outstanding_principal_fen', fields.BigIntField()),
                ('overdue_principal_fen', fields.BigIntField()),
                ('overdue_interest_fen', fields.BigIntField()),
                ('accrued_interest_fen', fields.BigIntField()),
                ('penalty_fen', fields.BigIntField()),
                ('compound_fen', fields.BigIntField()),
                ('non_accrual', fields.BooleanField()),
                ('off_interest_fen', fields.BigIntField()),
                ('off_penalty_fen', fields.BigIntField()),
                ('off_compound_fen', fields.BigIntField()),
                ('off_accrued_fen', fields.BigIntField()),
            ],
            options={'table': 'loan_position_month_end', 'app': 'models', 'unique_together': (('business_on', 'loan_id'),), 'indexes': [Index(fields=['bank_id', 'business_on'])], 'pk_attr': 'id', 'table_description': "The positions of a month's last business date, kept for good."},
            bases=['_PositionFields'],
        ),
    ]

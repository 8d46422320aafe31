"""Online credit (issue 20): an offer's time (its validity, CUNXIN_ONLINE_OFFER_VALID_DAYS, runs from it) and the
application's new statuses — signing (the contract PDF is rendered, signed and sealed) and expired (not accepted in time)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from app.domain.external_data import CreditApplicationStatus


class Migration(migrations.Migration):
    dependencies = [('models', '0049_guarantee_renewal')]

    initial = False

    operations = [
        ops.AddField(model_name='CreditApplication', name='offered_at', field=fields.DatetimeField(null=True)),
        ops.AlterField(
            model_name='CreditApplication',
            name='status',
            field=fields.CharEnumField(description='OFFERED: offered\nREFUSED: refused\nREFERRED: referred\nSIGNING: signing\nACTIVE: active\nEXPIRED: expired',
                                       enum_type=CreditApplicationStatus, max_length=16),
        ),
    ]

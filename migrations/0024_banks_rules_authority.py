"""Per bank (issue 15): a bank's own credit authority (bank.authority, null: the platform's settings), and
rule-set version names unique within a bank (rule_set_version: unique (bank_id, version) instead of version).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    # after both 0023s (two helpers landed an 0023 each, both after 0022): this one joins the chain again
    dependencies = [('models', '0023_card_bank'), ('models', '0023_household_member_bank')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Bank',
            name='authority',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AlterField(
            model_name='RuleSetVersion',
            name='version',
            field=fields.CharField(max_length=64),
        ),
        ops.AddConstraint(
            model_name='RuleSetVersion',
            constraint=UniqueConstraint(fields=('bank', 'version'), name=None),
        ),
    ]

"""Regulatory fields of a product (issue 16), reported on every loan by the reporting tables: loan purpose (贷款用途),
guarantee method (担保方式: credit / guarantee / mortgage / pledge), 涉农 and 普惠 flags."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0029_loan_positions')]

    initial = False

    operations = [
        ops.AddField(model_name='Product', name='loan_purpose', field=fields.CharField(max_length=64, default="", db_default="")),
        ops.AddField(model_name='Product', name='guarantee_method', field=fields.CharField(max_length=16, default="credit", db_default="credit")),
        ops.AddField(model_name='Product', name='is_agricultural', field=fields.BooleanField(default=False, db_default=False)),
        ops.AddField(model_name='Product', name='is_inclusive', field=fields.BooleanField(default=False, db_default=False)),
    ]

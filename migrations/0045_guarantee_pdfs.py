"""联保 (issue 17): the guarantee contract and a guarantor's consent to an extension are signed PDFs (PAdES) in the
guarantor's e-archive; each record points at its document (null for the text-only records signed before)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0044_online_bank_data')]

    initial = False

    operations = [
        ops.AddField(model_name='GuaranteeMember', name='document', field=fields.ForeignKeyField(
            'models.Document', source_field='document_id', null=True, db_constraint=True, to_field='id', related_name='guarantee_contracts',
            on_delete=OnDelete.RESTRICT)),
        ops.AddField(model_name='GuarantorConsent', name='document', field=fields.ForeignKeyField(
            'models.Document', source_field='document_id', null=True, db_constraint=True, to_field='id', related_name='guarantor_consents',
            on_delete=OnDelete.RESTRICT)),
    ]

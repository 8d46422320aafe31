"""Customers (borrowers and co-borrowers), their links and bound bank cards."""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import CustomerLink


class Customer(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=32)
    sex = fields.CharField(max_length=1)
    birth_on = fields.DateField()
    id_number_enc = fields.BinaryField()
    id_number_hash = fields.CharField(max_length=64)  # unique within its bank: two banks serving one person hold two records
    id_number_masked = fields.CharField(max_length=18)
    phone_enc = fields.BinaryField(null=True)
    phone_hash = fields.CharField(max_length=64, null=True, db_index=True)
    phone_masked = fields.CharField(max_length=11, default="")
    branch = fields.ForeignKeyField("models.Branch", related_name="customers", on_delete=fields.RESTRICT)
    bank = fields.ForeignKeyField("models.Bank", related_name="customers", on_delete=fields.RESTRICT)
    village = fields.ForeignKeyField("models.Village", related_name="customers", null=True, on_delete=fields.SET_NULL)
    grade = fields.CharField(max_length=16, null=True)  # appraisal grade: excellent / good / fair
    created_at = fields.DatetimeField(auto_now_add=True)
    # changes on business events (a transaction, a status, a class, a limit), never on the daily accrual: docs/reporting.md
    updated_at = fields.DatetimeField(auto_now=True, null=True)  # nullable only so migration 0028 could add it to filled tables (it backfills)

    class Meta:
        table = "customer"
        unique_together = (("bank", "id_number_hash"),)


class CustomerRelationship(Model):
    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="links_out", on_delete=fields.CASCADE)
    related = fields.ForeignKeyField("models.Customer", related_name="links_in", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(CustomerLink, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customer_relationship"
        unique_together = (("customer", "related", "kind"),)


class BankCard(Model):
    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="cards", on_delete=fields.CASCADE)
    card_number_enc = fields.BinaryField()
    card_number_hash = fields.CharField(max_length=64, db_index=True)
    card_number_masked = fields.CharField(max_length=24)
    bank_name = fields.CharField(max_length=64)
    branch_name = fields.CharField(max_length=64, default="")
    is_default = fields.BooleanField(default=True)
    bound_at = fields.DatetimeField(auto_now_add=True)
    unbound_at = fields.DatetimeField(null=True)
    # the holder was verified: 四要素 at the core + an SMS code to the reserved phone (app), or a teller (counter).
    # Null on bindings made before that check existed: they bind nothing to a person (issue 12).
    verified_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bank_card"
        unique_together = (("customer", "card_number_hash"),)

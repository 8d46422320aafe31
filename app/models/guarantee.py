"""联保 (joint guarantee groups): households of one member bank guaranteeing each other's loans.

A group is formed at a visit or an appraisal. Each member is one household, represented by the
customer who signs for it; the member row is also that person's guarantee (保证) for the other
members' debts, up to `amount_fen` (担保最高额), the guarantor's contingent exposure. A household in
too many active groups is refused by the service (app/services/guarantees.py), which also ends
guarantees (a member `released`, a group `dissolved`; rows are never deleted).
"""

from tortoise import fields
from tortoise.models import Model


class GuaranteeGroup(Model):
    id = fields.UUIDField(primary_key=True)
    bank = fields.ForeignKeyField("models.Bank", related_name="guarantee_groups", on_delete=fields.RESTRICT)
    branch = fields.ForeignKeyField("models.Branch", related_name="guarantee_groups", on_delete=fields.RESTRICT)
    village = fields.ForeignKeyField("models.Village", related_name="guarantee_groups", null=True, on_delete=fields.SET_NULL)
    name = fields.CharField(max_length=64)
    status = fields.CharField(max_length=16, default="active", db_index=True)  # active | dissolved
    origin = fields.CharField(max_length=16, default="visit")  # visit | appraisal: where the group was formed
    formed_on = fields.DateField()
    formed_by = fields.ForeignKeyField("models.Officer", related_name="guarantee_groups_formed", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "guarantee_group"


class GuaranteeMember(Model):
    """One household in a group, and its signed guarantee for the other members' loans."""

    id = fields.UUIDField(primary_key=True)
    group = fields.ForeignKeyField("models.GuaranteeGroup", related_name="members", on_delete=fields.RESTRICT)
    household = fields.ForeignKeyField("models.Household", related_name="guarantee_memberships", on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField("models.Customer", related_name="guarantees_given", on_delete=fields.RESTRICT)
    bank = fields.ForeignKeyField("models.Bank", related_name="guarantee_members", on_delete=fields.RESTRICT)
    status = fields.CharField(max_length=16, default="active", db_index=True)  # active | released
    amount_fen = fields.BigIntField()  # 担保最高额: the most this guarantor answers for
    contract_no = fields.CharField(max_length=40, unique=True)  # 保证合同编号, cited by warnings and collection tasks
    contract_sha256 = fields.CharField(max_length=64)  # hash of the contract text the member signed
    # the signed and sealed contract PDF in the guarantor's e-archive (PAdES); null only for guarantees signed before migration 0045
    document = fields.ForeignKeyField("models.Document", related_name="guarantee_contracts", null=True, on_delete=fields.RESTRICT)
    signed_at = fields.DatetimeField()
    witnessed_by = fields.ForeignKeyField("models.Officer", related_name="guarantees_witnessed", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "guarantee_member"


class GuarantorConsent(Model):
    """A guarantor's written consent to an extension (展期) of a loan they guarantee, signed before the extension is
    proposed (贷款通则: a guaranteed loan's extension needs the guarantor's written consent). It covers one extension of
    up to `months`: an extension made after it needs a new one."""

    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="guarantor_consents", on_delete=fields.RESTRICT)
    member = fields.ForeignKeyField("models.GuaranteeMember", related_name="consents", on_delete=fields.RESTRICT)
    months = fields.IntField()  # the longest extension consented to
    text_sha256 = fields.CharField(max_length=64)  # hash of the consent text the guarantor signed
    # the signed and sealed consent PDF in the guarantor's e-archive (PAdES); null only for consents recorded before migration 0045
    document = fields.ForeignKeyField("models.Document", related_name="guarantor_consents", null=True, on_delete=fields.RESTRICT)
    signed_at = fields.DatetimeField()
    witnessed_by = fields.ForeignKeyField("models.Officer", related_name="consents_witnessed", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "guarantor_consent"


class GuaranteeRenewal(Model):
    """A guarantor's guarantee contract for the new loan of a 无还本续贷 (借新还旧): signed and sealed before the renewal
    (the guarantor's agreement is required), for the old loan's outstanding principal over at most `term_months`. The
    renewal links it to the new loan it created (`new_loan`, null until then)."""

    id = fields.UUIDField(primary_key=True)
    old_loan = fields.ForeignKeyField("models.Loan", related_name="renewal_guarantees", on_delete=fields.RESTRICT)
    new_loan = fields.ForeignKeyField("models.Loan", related_name="guarantees_renewed", null=True, on_delete=fields.RESTRICT)
    member = fields.ForeignKeyField("models.GuaranteeMember", related_name="renewal_contracts", on_delete=fields.RESTRICT)
    term_months = fields.IntField()  # the longest new loan the guarantor agreed to guarantee
    principal_fen = fields.BigIntField()  # the new loan's principal: the old loan's outstanding principal when signed
    contract_no = fields.CharField(max_length=40, unique=True)
    text_sha256 = fields.CharField(max_length=64)  # hash of the contract text the guarantor signed
    document = fields.ForeignKeyField("models.Document", related_name="guarantee_renewals", on_delete=fields.RESTRICT)  # the signed, sealed PDF
    signed_at = fields.DatetimeField()
    witnessed_by = fields.ForeignKeyField("models.Officer", related_name="guarantee_renewals_witnessed", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "guarantee_renewal"

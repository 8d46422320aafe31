"""Loan products and LPR publications."""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import LprTenor, ProductKind


class Product(Model):
    id = fields.UUIDField(primary_key=True)
    bank = fields.ForeignKeyField("models.Bank", related_name="products", on_delete=fields.RESTRICT)
    code = fields.CharField(max_length=32)  # unique within its bank
    name = fields.CharField(max_length=32)
    description = fields.CharField(max_length=256, default="")
    kind = fields.CharEnumField(ProductKind, max_length=16)
    min_principal_fen = fields.BigIntField()
    max_principal_fen = fields.BigIntField()
    min_term_months = fields.IntField()
    max_term_months = fields.IntField()
    allowed_methods = fields.JSONField()  # list of RepaymentMethod values
    default_spread_bp = fields.IntField()
    spread_bp_by_grade = fields.JSONField(default=dict)  # {"excellent": 50, ...}
    penalty_multiplier_ppm = fields.IntField(default=1_500_000)  # contract rate × 1.5
    repricing = fields.CharField(max_length=16, default="jan1")  # jan1 / anniversary / fixed
    prepayment_mode = fields.CharField(max_length=16, default="keep_term")  # keep_term / keep_installment
    conventions = fields.JSONField(default=dict)  # overrides of schedule conventions
    # a confirmed auto-debit that finds its installment already paid: "refund" it to the card, or "apply_next" (next amount due)
    excess_debit = fields.CharField(max_length=16, default="refund", db_default="refund")
    # regulatory fields a BI team reports per loan (the loan takes its product's): 贷款用途, 担保方式, 涉农, 普惠
    loan_purpose = fields.CharField(max_length=64, default="", db_default="")  # e.g. 农业生产经营, 个人消费; "" = not declared
    guarantee_method = fields.CharField(max_length=16, default="credit", db_default="credit")  # a GuaranteeMethod value (app/domain/vocabulary.py)
    is_agricultural = fields.BooleanField(default=False, db_default=False)  # 涉农贷款
    is_inclusive = fields.BooleanField(default=False, db_default=False)  # 普惠金融贷款
    # a business-purpose product (农户生产经营, 个体工商户, 小微企业): its loans may be renewed without repaying principal (无还本续贷)
    renewable = fields.BooleanField(default=False, db_default=False)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "product"
        unique_together = (("bank", "code"),)


class LprPublication(Model):
    id = fields.UUIDField(primary_key=True)
    published_on = fields.DateField()
    tenor = fields.CharEnumField(LprTenor, max_length=4)
    rate_ppm = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "lpr_publication"
        unique_together = (("published_on", "tenor"),)

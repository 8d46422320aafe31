"""Customer insight: facts kept beside the customer (profile) and the rule-based tags derived from them.

`CustomerProfile` holds optional facts the census and visit flows do not capture on
`Customer` (occupation, land farmed). `CustomerTag` rows are written only by
`app.services.insight.tags.refresh_customer_tags` (set-based, idempotent per day).
"""

from tortoise import fields
from tortoise.models import Model

from app.domain.tags import Occupation, Tag


class CustomerProfile(Model):
    id = fields.UUIDField(primary_key=True)
    customer = fields.OneToOneField("models.Customer", related_name="profile", on_delete=fields.CASCADE)
    occupation = fields.CharEnumField(Occupation, max_length=24, null=True)
    land_area_mu = fields.IntField(null=True)  # 经营土地面积（亩，整数）
    manual_tags = fields.JSONField(default=list)  # tags an officer set by hand (Tag values), kept by the refresh
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "customer_profile"


class CustomerTag(Model):
    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="tags", on_delete=fields.CASCADE)
    tag = fields.CharEnumField(Tag, max_length=32)
    since_on = fields.DateField()  # business date the tag was first given (kept while it still holds)
    refreshed_on = fields.DateField()

    class Meta:
        table = "customer_tag"
        unique_together = (("customer", "tag"),)

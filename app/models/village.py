"""Census: villages (行政村), groups (村民小组), households and members."""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import Relation


class Village(Model):
    id = fields.UUIDField(primary_key=True)
    division_code = fields.CharField(max_length=12, unique=True)  # 12-digit statistical division code
    name = fields.CharField(max_length=64)
    town = fields.CharField(max_length=64)
    county = fields.CharField(max_length=64)
    branch = fields.ForeignKeyField("models.Branch", related_name="villages", on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="villages", null=True, on_delete=fields.SET_NULL)
    # Centroid in WGS-84 degrees (geography, not money: float is fine).
    centroid_lat = fields.FloatField(null=True)
    centroid_lng = fields.FloatField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "village"


class VillageGroup(Model):
    id = fields.UUIDField(primary_key=True)
    village = fields.ForeignKeyField("models.Village", related_name="groups", on_delete=fields.CASCADE)
    number = fields.IntField()
    name = fields.CharField(max_length=32)

    class Meta:
        table = "village_group"
        unique_together = (("village", "number"),)


class Household(Model):
    id = fields.UUIDField(primary_key=True)
    village = fields.ForeignKeyField("models.Village", related_name="households", on_delete=fields.RESTRICT)
    group = fields.ForeignKeyField("models.VillageGroup", related_name="households", null=True, on_delete=fields.SET_NULL)
    household_no = fields.CharField(max_length=32)  # 户号 within the village
    address = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "household"
        unique_together = (("village", "household_no"),)


class HouseholdMember(Model):
    id = fields.UUIDField(primary_key=True)
    household = fields.ForeignKeyField("models.Household", related_name="members", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=32)
    relation = fields.CharEnumField(Relation, max_length=16)
    sex = fields.CharField(max_length=1)  # 男 / 女, decoded from the ID number
    birth_on = fields.DateField()
    id_number_enc = fields.BinaryField()
    id_number_hash = fields.CharField(max_length=64)  # unique within the village's bank (two banks may register one person)
    id_number_masked = fields.CharField(max_length=18)
    phone_enc = fields.BinaryField(null=True)
    phone_hash = fields.CharField(max_length=64, null=True, db_index=True)
    phone_masked = fields.CharField(max_length=11, default="")
    customer = fields.OneToOneField("models.Customer", related_name="member", null=True, on_delete=fields.SET_NULL)
    # the bank of the household's village (household → village → branch → bank), kept here for the uniqueness below
    bank = fields.ForeignKeyField("models.Bank", related_name="household_members", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "household_member"
        unique_together = (("bank", "id_number_hash"),)

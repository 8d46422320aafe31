"""Persisted (trusted) GraphQL documents imported from app builds' manifests (docs/mobile.md).

One row per document of one manifest: the same id may be in several manifests (two app releases
sharing an unchanged operation), always with the same body (checked when a manifest is imported).
The documents shipped in graphql/mobile are not stored here: the server knows them from the files.
"""

from tortoise import fields
from tortoise.models import Model


class PersistedDocument(Model):
    id = fields.IntField(primary_key=True)
    manifest = fields.CharField(max_length=64)  # the name it was imported under, e.g. the app release "android-2.4.0"
    document_id = fields.CharField(max_length=128, db_index=True)  # what the client sends (Apollo sha256Hash, Relay doc_id)
    operation_name = fields.CharField(max_length=128)
    operation_type = fields.CharField(max_length=16)  # query | mutation
    body = fields.TextField()  # the document exactly as the manifest carries it
    imported_at = fields.DatetimeField()

    class Meta:
        table = "persisted_document"
        unique_together = (("manifest", "document_id"),)

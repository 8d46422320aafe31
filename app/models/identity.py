"""Identity checks on the PAD: ID-card reads (OCR), face verifications, liveness checks, face enrolments.

Each row is created by the web process with status pending, then an ML worker job
(`read_id_card`, `verify_face`, `check_liveness`, `enrol_face`) writes the result. Images live
in the media store as documents, rows hold their ids. The ID number is stored encrypted
(lookup hash and masked form beside it), never in the JSON columns. Face embeddings are
biometric data and are only ever stored encrypted (Officer.face_embeddings_enc).
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class JobStatus(StrEnum):
    PENDING = "pending"  # created, waiting for (or queued to) a worker
    RUNNING = "running"  # a worker picked it up
    DONE = "done"
    FAILED = "failed"  # a clear reason in `error`


class CardSide(StrEnum):
    FRONT = "front"  # 人像面
    BACK = "back"  # 国徽面


class FacePurpose(StrEnum):
    OFFICER_LOGIN = "officer_login"  # second login factor, against the officer's enrolment
    CUSTOMER_MATCH = "customer_match"  # a customer's live face against their ID-card portrait
    CONTRACT_SIGN = "contract_sign"  # the same, at the moment of signing


class FaceReference(StrEnum):
    PORTRAIT = "portrait"  # the portrait cropped from an ID-card read
    ENROLMENT = "enrolment"  # the officer's enrolled embeddings


class LivenessStatus(StrEnum):
    PENDING = "pending"  # challenge issued, frames not judged yet (waiting for a worker once they are sent)
    RUNNING = "running"  # a worker is judging the frames
    PASSED = "passed"
    FAILED = "failed"
    EXPIRED = "expired"  # frames came after `expires_at`


class IdCardRead(Model):
    """One photographed card face read by OCR, then confirmed or corrected by the officer."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="id_card_reads", null=True, on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="id_card_reads", on_delete=fields.RESTRICT)
    side = fields.CharEnumField(CardSide, max_length=8)
    image = fields.ForeignKeyField("models.Document", related_name="id_card_reads_as_image", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.PENDING)
    job_id = fields.CharField(max_length=128, null=True)
    result = fields.JSONField(null=True)  # IdCardReading.to_detail(), the ID number value masked
    ocr_id_number_enc = fields.BinaryField(null=True)  # the number as read (front), AES-GCM
    portrait = fields.ForeignKeyField("models.Document", related_name="id_card_reads_as_portrait", null=True, on_delete=fields.RESTRICT)
    error_code = fields.CharField(max_length=32, null=True)
    error = fields.CharField(max_length=256, null=True)
    model_ms = fields.IntField(null=True)  # time spent in the OCR engine
    confirmed = fields.JSONField(null=True)  # field -> value as confirmed, the ID number masked
    id_number_enc = fields.BinaryField(null=True)  # the confirmed number, AES-GCM
    id_number_hash = fields.CharField(max_length=64, null=True, db_index=True)
    id_number_masked = fields.CharField(max_length=18, null=True)
    changed_fields = fields.JSONField(null=True)  # [{field, ocr, confirmed}] what the officer corrected
    confirmed_by = fields.ForeignKeyField("models.Officer", related_name="id_card_reads_confirmed", null=True, on_delete=fields.SET_NULL)
    confirmed_at = fields.DatetimeField(null=True)
    retried_at = fields.DatetimeField(null=True)  # the officer's last 重试 (in place): the job's deadline counts from here
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "id_card_read"


class LivenessCheck(Model):
    """A random challenge bound to a server nonce, and the verdict on the frames sent for it."""

    id = fields.UUIDField(primary_key=True)
    officer = fields.ForeignKeyField("models.Officer", related_name="liveness_checks", null=True, on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField("models.Customer", related_name="liveness_checks", null=True, on_delete=fields.RESTRICT)
    session = fields.ForeignKeyField("models.OfficerSession", related_name="liveness_checks", null=True, on_delete=fields.CASCADE)
    nonce = fields.CharField(max_length=64, unique=True)
    challenge = fields.JSONField()  # Challenge.to_json() as an object
    status = fields.CharEnumField(LivenessStatus, max_length=16, default=LivenessStatus.PENDING)
    reason_code = fields.CharField(max_length=32, null=True)
    reason = fields.CharField(max_length=256, null=True)
    details = fields.JSONField(null=True)  # counts and measures from the judge (no images, no landmarks)
    frames = fields.ForeignKeyField("models.Document", related_name="liveness_checks", null=True, on_delete=fields.RESTRICT)
    frames_count = fields.IntField(default=0)
    job_id = fields.CharField(max_length=128, null=True)
    model_ms = fields.IntField(null=True)
    expires_at = fields.DatetimeField()
    submitted_at = fields.DatetimeField(null=True)
    retried_at = fields.DatetimeField(null=True)  # the officer's last 重试 (in place): the job's deadline counts from here
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "liveness_check"


class FaceVerification(Model):
    """One face comparison as stored: distance, threshold, model, verdict and time."""

    id = fields.UUIDField(primary_key=True)
    purpose = fields.CharEnumField(FacePurpose, max_length=16)
    officer = fields.ForeignKeyField("models.Officer", related_name="face_verifications", null=True, on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField("models.Customer", related_name="face_verifications", null=True, on_delete=fields.RESTRICT)
    requested_by = fields.ForeignKeyField("models.Officer", related_name="face_verifications_requested", null=True, on_delete=fields.SET_NULL)
    probe = fields.ForeignKeyField("models.Document", related_name="face_verifications_as_probe", on_delete=fields.RESTRICT)
    reference = fields.CharEnumField(FaceReference, max_length=16)
    reference_portrait = fields.ForeignKeyField("models.Document", related_name="face_verifications_as_reference", null=True, on_delete=fields.RESTRICT)
    id_card_read = fields.ForeignKeyField("models.IdCardRead", related_name="face_verifications", null=True, on_delete=fields.RESTRICT)
    liveness = fields.ForeignKeyField("models.LivenessCheck", related_name="face_verifications", null=True, on_delete=fields.RESTRICT)
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.PENDING)
    job_id = fields.CharField(max_length=128, null=True)
    distance = fields.FloatField(null=True)  # cosine distance (a measurement, not money)
    threshold = fields.FloatField()
    model = fields.CharField(max_length=32)
    verified = fields.BooleanField(null=True)
    error_code = fields.CharField(max_length=32, null=True)
    error = fields.CharField(max_length=256, null=True)
    model_ms = fields.IntField(null=True)
    retried_at = fields.DatetimeField(null=True)  # the officer's last 重试 (in place): the job's deadline counts from here
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "face_verification"


class FaceEnrolment(Model):
    """Several captures of an officer's face turned into embeddings (stored encrypted on the officer).

    The first enrolment is trust-on-first-use, right after a password login. An admin reset
    clears the embeddings and marks the enrolment reset, so the officer enrols again.
    """

    id = fields.UUIDField(primary_key=True)
    officer = fields.ForeignKeyField("models.Officer", related_name="face_enrolments", on_delete=fields.RESTRICT)
    captures = fields.JSONField()  # document ids of the captures, in order
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.PENDING)
    job_id = fields.CharField(max_length=128, null=True)
    error_code = fields.CharField(max_length=32, null=True)
    error = fields.CharField(max_length=256, null=True)
    model_ms = fields.IntField(null=True)
    retried_at = fields.DatetimeField(null=True)  # the officer's last 重试 (in place): the job's deadline counts from here
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    reset_at = fields.DatetimeField(null=True)
    reset_by = fields.ForeignKeyField("models.Officer", related_name="face_enrolments_reset", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "face_enrolment"

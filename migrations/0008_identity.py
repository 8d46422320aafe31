from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.models.identity import CardSide, FacePurpose, FaceReference, JobStatus, LivenessStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_census_appraisal')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FaceEnrolment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', db_constraint=True, to_field='id', related_name='face_enrolments', on_delete=OnDelete.RESTRICT)),
                ('captures', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=JobStatus.PENDING, description='PENDING: pending\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=JobStatus, max_length=16)),
                ('job_id', fields.CharField(null=True, max_length=128)),
                ('error_code', fields.CharField(null=True, max_length=32)),
                ('error', fields.CharField(null=True, max_length=256)),
                ('model_ms', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reset_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reset_by', fields.ForeignKeyField('models.Officer', source_field='reset_by_id', null=True, db_constraint=True, to_field='id', related_name='face_enrolments_reset', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'face_enrolment', 'app': 'models', 'pk_attr': 'id', 'table_description': "Several captures of an officer's face turned into embeddings (stored encrypted on the officer)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdCardRead',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='id_card_reads', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', db_constraint=True, to_field='id', related_name='id_card_reads', on_delete=OnDelete.RESTRICT)),
                ('side', fields.CharEnumField(description='FRONT: front\nBACK: back', enum_type=CardSide, max_length=8)),
                ('image', fields.ForeignKeyField('models.Document', source_field='image_id', db_constraint=True, to_field='id', related_name='id_card_reads_as_image', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=JobStatus.PENDING, description='PENDING: pending\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=JobStatus, max_length=16)),
                ('job_id', fields.CharField(null=True, max_length=128)),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('ocr_id_number_enc', fields.BinaryField(null=True)),
                ('portrait', fields.ForeignKeyField('models.Document', source_field='portrait_id', null=True, db_constraint=True, to_field='id', related_name='id_card_reads_as_portrait', on_delete=OnDelete.RESTRICT)),
                ('error_code', fields.CharField(null=True, max_length=32)),
                ('error', fields.CharField(null=True, max_length=256)),
                ('model_ms', fields.IntField(null=True)),
                ('confirmed', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('id_number_enc', fields.BinaryField(null=True)),
                ('id_number_hash', fields.CharField(null=True, db_index=True, max_length=64)),
                ('id_number_masked', fields.CharField(null=True, max_length=18)),
                ('changed_fields', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('confirmed_by', fields.ForeignKeyField('models.Officer', source_field='confirmed_by_id', null=True, db_constraint=True, to_field='id', related_name='id_card_reads_confirmed', on_delete=OnDelete.SET_NULL)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'id_card_read', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One photographed card face read by OCR, then confirmed or corrected by the officer.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LivenessCheck',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='liveness_checks', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='liveness_checks', on_delete=OnDelete.RESTRICT)),
                ('session', fields.ForeignKeyField('models.OfficerSession', source_field='session_id', null=True, db_constraint=True, to_field='id', related_name='liveness_checks', on_delete=OnDelete.CASCADE)),
                ('nonce', fields.CharField(unique=True, max_length=64)),
                ('challenge', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=LivenessStatus.PENDING, description='PENDING: pending\nPASSED: passed\nFAILED: failed\nEXPIRED: expired', enum_type=LivenessStatus, max_length=16)),
                ('reason_code', fields.CharField(null=True, max_length=32)),
                ('reason', fields.CharField(null=True, max_length=256)),
                ('details', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('frames', fields.ForeignKeyField('models.Document', source_field='frames_id', null=True, db_constraint=True, to_field='id', related_name='liveness_checks', on_delete=OnDelete.RESTRICT)),
                ('frames_count', fields.IntField(default=0)),
                ('job_id', fields.CharField(null=True, max_length=128)),
                ('model_ms', fields.IntField(null=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'liveness_check', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A random challenge bound to a server nonce, and the verdict on the frames sent for it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FaceVerification',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='OFFICER_LOGIN: officer_login\nCUSTOMER_MATCH: customer_match\nCONTRACT_SIGN: contract_sign', enum_type=FacePurpose, max_length=16)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='face_verifications', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='face_verifications', on_delete=OnDelete.RESTRICT)),
                ('requested_by', fields.ForeignKeyField('models.Officer', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='face_verifications_requested', on_delete=OnDelete.SET_NULL)),
                ('probe', fields.ForeignKeyField('models.Document', source_field='probe_id', db_constraint=True, to_field='id', related_name='face_verifications_as_probe', on_delete=OnDelete.RESTRICT)),
                ('reference', fields.CharEnumField(description='PORTRAIT: portrait\nENROLMENT: enrolment', enum_type=FaceReference, max_length=16)),
                ('reference_portrait', fields.ForeignKeyField('models.Document', source_field='reference_portrait_id', null=True, db_constraint=True, to_field='id', related_name='face_verifications_as_reference', on_delete=OnDelete.RESTRICT)),
                ('id_card_read', fields.ForeignKeyField('models.IdCardRead', source_field='id_card_read_id', null=True, db_constraint=True, to_field='id', related_name='face_verifications', on_delete=OnDelete.RESTRICT)),
                ('liveness', fields.ForeignKeyField('models.LivenessCheck', source_field='liveness_id', null=True, db_constraint=True, to_field='id', related_name='face_verifications', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=JobStatus.PENDING, description='PENDING: pending\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=JobStatus, max_length=16)),
                ('job_id', fields.CharField(null=True, max_length=128)),
                ('distance', fields.FloatField(null=True)),
                ('threshold', fields.FloatField()),
                ('model', fields.CharField(max_length=32)),
                ('verified', fields.BooleanField(null=True)),
                ('error_code', fields.CharField(null=True, max_length=32)),
                ('error', fields.CharField(null=True, max_length=256)),
                ('model_ms', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'face_verification', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One face comparison as stored: distance, threshold, model, verdict and time.'},
            bases=['Model'],
        ),
    ]

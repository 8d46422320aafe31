from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [("models", "0014_loan_classification_state")]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginIpThrottle',
            fields=[
                ('ip', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('failures', fields.IntField(default=0)),
                ('next_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_ip_throttle', 'app': 'models', 'pk_attr': 'ip', 'table_description': 'Failed officer sign-ins per client address (app/services/login_throttle.py).'},
            bases=['Model'],
        ),
    ]

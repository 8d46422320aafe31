"""The outside systems as the use cases see them: the adapters' `Protocol`s, for the doors' type hints.

Doors (`ui/`, `app/api/`) may not import `app/integrations/` (an import contract): they neither
choose nor build an adapter, they receive the ones `app/wiring.py` built for the process and hand
them to services. They name their types from here.
"""

from app.crypto import Vault
from app.integrations.bureau import CreditBureau
from app.integrations.core_banking import CoreBanking
from app.integrations.external_data import ExternalSources
from app.integrations.identity import IdentityCheck
from app.integrations.provincial import ProvincialCreditSystem
from app.integrations.sms import SmsSender
from app.services.contracts import SigningKit
from app.services.documents import MediaStore
from app.services.jobs import JobQueue

__all__ = [
    "CoreBanking",
    "CreditBureau",
    "ExternalSources",
    "IdentityCheck",
    "JobQueue",
    "MediaStore",
    "ProvincialCreditSystem",
    "SigningKit",
    "SmsSender",
    "Vault",
]

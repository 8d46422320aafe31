"""External data (issue 20): consents per source and purpose, and queries that are recorded, reused and never
count a timeout or an error as a pass. docs/external-data.md."""

from app.services.external_data.consents import record_consent, revoke_consent, valid_consent, why_no_consent
from app.services.external_data.queries import ExternalAccess, ExternalDataPolicy, ExternalOutcome, query_external

__all__ = ["ExternalAccess", "ExternalDataPolicy", "ExternalOutcome", "query_external", "record_consent", "revoke_consent", "valid_consent",
           "why_no_consent"]

"""What the sandbox outside systems make up: credit reports for the sandbox bureau (app/integrations/bureau.py).

`generate_report` builds a deterministic, realistic `CreditReport` for a profile (`PROFILES`);
`to_xml` writes it in the interchange format that `app.domain.credit_report.parse_report` reads.
Tests, the demo data and the benchmarks use them too. Not pure domain: they invent data.
"""

from app.integrations.sandbox.report_generator import PROFILES, generate_report
from app.integrations.sandbox.report_writer import to_xml

__all__ = ["PROFILES", "generate_report", "to_xml"]

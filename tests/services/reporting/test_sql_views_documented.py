"""docs/reporting.md lists every `reporting` view and every column, with the meaning the database comment gives."""

from app.config import ROOT
from app.services.reporting.sql_views import VIEWS


def test_every_view_and_column_is_in_the_reporting_doc():
    doc = (ROOT / "docs" / "reporting.md").read_text(encoding="utf-8")
    missing = [f"{v.name}.{name}" for v in VIEWS for name, _, comment in v.columns if f"| `{name}` | {comment} |" not in doc]
    missing += [v.name for v in VIEWS if f"### reporting.{v.name}\n" not in doc]
    assert len(VIEWS) == 13 and missing == []


def test_every_view_carries_the_bank_and_no_secret_column():
    for view in VIEWS:
        names = [name for name, _, _ in view.columns]
        assert "bank_id" in names, view.name
        assert [n for n in names if n.endswith(("_enc", "_hash")) or n == "username"] == [], view.name
    customers = next(v for v in VIEWS if v.name == "customers")
    assert "name" not in [name for name, _, _ in customers.columns]


def test_loans_products_and_positions_carry_the_regulatory_fields():
    regulatory = {"loan_purpose", "guarantee_method", "is_agricultural", "is_inclusive"}
    for name in ("loans", "products", "loan_positions", "loan_positions_month_end"):
        view = next(v for v in VIEWS if v.name == name)
        assert regulatory <= {n for n, _, _ in view.columns}, name
    # and the institution codes, the contract number and the 借据 number
    for name in ("loans", "loan_positions", "loan_positions_month_end"):
        view = next(v for v in VIEWS if v.name == name)
        assert {"institution_code", "branch_code", "contract_number", "iou_number"} <= {n for n, _, _ in view.columns}, name


def test_warnings_and_collection_tasks_carry_updated_at():
    for name in ("warnings", "collection_tasks"):
        view = next(v for v in VIEWS if v.name == name)
        assert "updated_at" in {n for n, _, _ in view.columns}, name

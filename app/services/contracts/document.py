"""The credit contract as HTML (Jinja2); a worker turns it into a PDF (WeasyPrint, workers/engines/pdf.py).

The template and its stylesheet live in `templates/` next to this module. The HTML refers to its
assets under `ASSET_BASE_URL` (a reserved `.invalid` host that never resolves); the renderer's URL
fetcher serves exactly the files in `ASSET_DIR` for that prefix and refuses everything else
(`file://`, network, other schemes). Signature blocks carry the ids in `FIELD_ANCHORS`; the
renderer reports where they landed so signature fields are placed over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.domain.money import percent_str
from app.domain.schedule import METHOD_LABELS, Method, add_months, build_schedule
from app.models import Bank, Branch, Contract, CreditLine, Customer, Product
from app.services.contracts.pdfsign import FieldBox

ASSET_DIR = Path(__file__).resolve().parent / "templates"
ASSET_BASE_URL = "https://assets.cunxin.invalid/contract/"
TEMPLATE = "contract.html"
EXAMPLE_TERM_MONTHS = 12
EXAMPLE_METHODS = (Method.EQUAL_INSTALLMENT.value, Method.EQUAL_PRINCIPAL.value, Method.INTEREST_FIRST.value)

BORROWER_FIELD, CO_BORROWER_FIELD, BANK_FIELD = "borrower", "co_borrower", "bank"
FIELD_ANCHORS = {BORROWER_FIELD: "sig-borrower", CO_BORROWER_FIELD: "sig-co-borrower", BANK_FIELD: "sig-bank"}


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    pdf: bytes
    anchors: dict[str, FieldBox]  # anchor id -> where it was laid out (PDF points)


class PdfRenderer(Protocol):
    """HTML -> PDF; the worker's WeasyPrint renderer (render in a worker process, not the web one)."""

    async def render(self, html: str) -> RenderedPdf: ...


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")


def yuan_in_words(fen: int) -> str:
    """Chinese financial capitals for an amount (¥123,400.50 -> 壹拾贰万叁仟肆佰元伍角整)."""
    if fen < 0:
        return "负" + yuan_in_words(-fen)
    yuan, rest = divmod(fen, 100)
    jiao, fen_part = divmod(rest, 10)
    words = ""
    if yuan:
        groups, n = [], yuan
        while n:
            n, g = divmod(n, 10_000)
            groups.append(g)
        pending_zero = False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                pending_zero = bool(words)
                continue
            if words and (pending_zero or g < 1000):
                words += "零"
            pending_zero = False
            digits = [g // 1000, g // 100 % 10, g // 10 % 10, g % 10]
            part, zero = "", False
            for pos, d in enumerate(digits):
                if d == 0:
                    zero = bool(part)
                    continue
                if zero:
                    part += "零"
                    zero = False
                part += _DIGITS[d] + _UNITS[3 - pos]
            words += part + _SECTIONS[i]
        words += "元"
    if not jiao and not fen_part:
        return (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen_part:
        words += _DIGITS[fen_part] + "分"
    else:
        words += "整"
    return words


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(ASSET_DIR)), autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
    env.filters["yuan"] = lambda fen: f"{'-' if fen < 0 else ''}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
    env.filters["cn_date"] = lambda d: f"{d.year}年{d.month}月{d.day}日"
    return env


async def contract_context(contract: Contract) -> dict:
    """Everything the template shows, read from the contract and its line (no PII beyond masked numbers)."""
    line = await CreditLine.get(id=contract.credit_line_id)
    product = await Product.get(id=line.product_id)
    borrower = await Customer.get(id=contract.customer_id)
    co_borrower = await Customer.get(id=contract.co_borrower_id) if contract.co_borrower_id else None
    branch = await Branch.get(id=contract.branch_id)
    bank = await Bank.get(id=branch.bank_id)
    term_methods = [m for m in line.allowed_methods if m in EXAMPLE_METHODS]
    method = term_methods[0] if term_methods else Method.INTEREST_FIRST.value  # a revolving-only line: interest-first example
    term = min(EXAMPLE_TERM_MONTHS, line.max_term_months)
    start = contract.contract_on
    schedule = build_schedule(line.limit_fen, contract.annual_rate_ppm, term, method, start, add_months(start, 1))
    return {
        "contract": contract,
        "bank_name": bank.legal_name,
        "bank_address": bank.address,
        "bank_legal_representative": bank.legal_representative,
        "branch_name": branch.name,
        "borrower": borrower,
        "co_borrower": co_borrower,
        "line": line,
        "product": product,
        "limit_words": yuan_in_words(line.limit_fen),
        "methods": [_method_label(m) for m in line.allowed_methods],
        "lpr_percent": percent_str(contract.lpr_ppm),
        "spread_bp": line.spread_bp,
        "rate_percent": percent_str(contract.annual_rate_ppm),
        "penalty_percent": percent_str(contract.annual_rate_ppm * product.penalty_multiplier_ppm // 1_000_000),
        "repricing": "每年1月1日" if product.repricing == "jan1" else ("每满一年的对应日" if product.repricing == "anniversary" else "不调整（固定利率）"),
        "example": {"method": _method_label(method), "term": term, "start_on": start, "schedule": schedule},
        "anchors": FIELD_ANCHORS,
        "asset_base": ASSET_BASE_URL,
    }


def _method_label(value: str) -> str:
    for method, label in METHOD_LABELS.items():
        if method.value == value:
            return label
    return value


async def contract_html(contract: Contract) -> str:
    return _environment().get_template(TEMPLATE).render(**(await contract_context(contract)))


def required_anchors(contract: Contract) -> dict[str, str]:
    """Field name -> anchor id of every signature block this contract must have."""
    names = [BORROWER_FIELD, *([CO_BORROWER_FIELD] if contract.co_borrower_id else []), BANK_FIELD]
    return {n: FIELD_ANCHORS[n] for n in names}


def contract_number(prefix: str, branch_code: str, on: date, contract_hex: str) -> str:
    """The granting bank's prefix, the branch, the contract date and the id's first 8 hex digits (SX-XF01-20260301-1A2B3C4D)."""
    return f"{prefix}-{branch_code}-{on:%Y%m%d}-{contract_hex[:8].upper()}"

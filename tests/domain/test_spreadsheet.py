"""CSV injection (OWASP): cells a spreadsheet would run get a leading apostrophe; names are checked."""

import pytest

from app.domain import idcard
from app.domain.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize("raw", ['=HYPERLINK("http://evil.example","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1",
                                 "=1", "-", "+"])
def test_formula_starts_get_an_apostrophe(raw):
    assert safe_cell(raw) == "'" + raw


@pytest.mark.parametrize("raw", ["王建国", "1234.56", "-1234.56", "-1,234.56", "+3", "12.5%", "", "a=b", "合计"])
def test_text_and_figures_are_left_alone(raw):
    assert safe_cell(raw) == raw


def test_a_row_of_mixed_cells():
    assert safe_row(["=1+1", 12, None, "-0.50"]) == ["'=1+1", "12", "", "-0.50"]


@pytest.mark.parametrize("name", ["王建国", "阿卜杜·热合曼", "欧阳 修", "Zhang San"])
def test_real_names_pass(name):
    assert idcard.name_problem(name) is None


@pytest.mark.parametrize("name", ['=HYPERLINK("x")', "+王", "-王", "@王", "\t王", "王\x00国", "王\u202e国", "王(1)", "1王", "王;国", ""])
def test_names_that_no_id_card_carries_are_refused(name):
    assert idcard.name_problem(name) is not None

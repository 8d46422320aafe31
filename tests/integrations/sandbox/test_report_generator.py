import random
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import idcard
from app.domain.credit_report import AccountKind, CreditReportError, Guarantee, PublicRecord, QueryRecord, parse_report
from app.integrations.sandbox import PROFILES, generate_report, to_xml

report_dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), profile=st.sampled_from(PROFILES), on=report_dates)
def test_generate_to_xml_parse_round_trips(seed, profile, on):
    report = generate_report(seed, report_date=on, profile=profile)
    assert parse_report(to_xml(report)) == report


xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co")) | st.sampled_from("\t\n\r&<>\"'"),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    name=xml_text.filter(str.strip),
    institution=xml_text,
    reason=xml_text.filter(str.strip),
    fen=st.integers(0, 10**15 - 1),
    compact=st.booleans(),
)
def test_arbitrary_text_and_amounts_round_trip(seed, name, institution, reason, fen, compact):
    # given a generated report carrying awkward text (markup characters, tabs, newlines) and amounts
    base = generate_report(seed, profile="problem_guarantee")
    report = replace(
        base,
        subject=replace(base.subject, name=name),
        guarantees=(Guarantee(amount_fen=fen, balance_fen=fen // 3, five_class=2, relation=name, institution=institution),),
        query_records=(QueryRecord(on=base.report_date, institution=institution, reason=reason),),
        public_records=(PublicRecord(kind=reason, on=base.report_date, amount_fen=fen, status=institution),),
    )
    # when / then
    assert parse_report(to_xml(report, indent=not compact)) == report


def test_same_seed_gives_the_same_report_and_document():
    a = generate_report(42, profile="bad_debt")
    b = generate_report(random.Random(42), profile="bad_debt")
    assert a == b
    assert to_xml(a) == to_xml(b)
    assert generate_report(43, profile="bad_debt") != a


def test_uses_the_given_subject_and_date():
    number = idcard.make_number("141023", date(1975, 6, 1), 357)
    report = generate_report(1, subject_id_number=number, name="王建国", report_date=date(2026, 3, 31))
    assert (report.subject.id_number, report.subject.name, report.report_date) == (number, "王建国", date(2026, 3, 31))
    assert report.personal_info.identity.birth_date == date(1975, 6, 1)
    assert report.personal_info.identity.gender == "男"


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_is_valid_and_realistic(profile):
    for seed in range(20):
        report = generate_report(seed, profile=profile)
        assert idcard.is_valid(report.subject.id_number)
        spouse = report.personal_info.spouse
        assert spouse is None or idcard.is_valid(spouse.id_number)
        for a in report.accounts:
            assert len(a.repayment.statuses) == 60
            assert a.repayment.end <= report.report_month
            assert a.reported_on <= report.report_date
            assert a.opened_on < report.report_date
            assert 0 <= a.balance_fen
        assert any(r.on == report.report_date and r.reason == "贷款审批" for r in report.query_records)


def test_thin_profile_has_no_credit_history():
    report = generate_report(3, profile="thin")
    assert report.accounts == () and report.guarantees == ()


def test_profiles_put_their_trouble_in_place():
    assert any(a.status == "冻结" and a.kind is AccountKind.R2 for a in generate_report(1, profile="frozen_card").accounts)
    assert any(a.status == "4" and "B" in a.repayment.statuses for a in generate_report(1, profile="bad_debt").accounts)
    assert any(g.five_class == 3 for g in generate_report(1, profile="problem_guarantee").guarantees)
    repaid = [a for a in generate_report(1, profile="guarantor_repaid").accounts if "D" in a.repayment.statuses]
    assert len(repaid) == 1 and repaid[0].specials[0].type == "担保人代还"


def test_refuses_an_unknown_profile():
    with pytest.raises(CreditReportError) as info:
        generate_report(1, profile="saint")
    assert info.value.code == "UNKNOWN_PROFILE"

"""展期 (issue 17): an officer proposes an extension before maturity, a checker of the branch approves it through
maker-checker; the remaining schedule is rebuilt from the original maturity (sums to the principal, integer fen),
the loan is flagged as extended, the provincial outbox has it, ledger-check stays clean through the following
end-of-days; the limits of 贷款通则 are refused in Chinese and change nothing."""

import asyncio
import hashlib
from datetime import UTC, date, datetime

import pytest

from app.domain.classification import FloorKind, LoanClass
from app.domain.errors import Forbidden, ValidationError
from app.domain.maker_checker import CommandStatus, MakerCheckerPolicy
from app.domain.vocabulary import InstallmentStatus
from app.models import AuditEvent, Customer, Document, GuaranteeMember, GuarantorConsent, Installment, Loan, LoanExtension, LoanRisk, OutboxMessage, PendingCommand
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.contracts.pdfsign import validate_pdf
from app.services.contracts.textpdf import _hex
from app.services.customers.archive import verify_archive
from app.services.guarantees import form_group
from app.services.lending.extension import consents_of, propose_extension, record_consent
from app.services.reporting import GroupBy, Interval, ReportFilter, portfolio_summary
from ui.report_csv import Params, render_csv
from app.services.lending.ledger import ledger_check
from app.services.maker_checker.commands import approve, command_view
from tests.factories.guarantees import signing_kit, households, in_household, members
from tests.services.lending.test_classification_state import PAYS, _actor, _loan, _until

NOW = datetime(2027, 1, 1, tzinfo=UTC)
SIGNED = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # a signature's moment: not after the wall clock (the certificates are checked against it)
MC = MakerCheckerPolicy()


async def _rows(loan_id):
    return [(i.number, i.due_on, i.principal_fen, i.interest_fen, i.status) for i in await Installment.filter(loan_id=loan_id).order_by("number")]


async def _three_month_loan(core, vault):
    """3,000.00 yuan over three months, 等额本息, drawn 2026-11-27; the first installment paid by auto-debit."""
    loan = await _loan(core, vault, card=PAYS, amount_fen=300_000, term=3)
    await _until(core, vault, date(2026, 12, 28))
    return await Loan.get(id=loan.id)


async def test_an_extension_rebuilds_the_schedule_from_the_original_maturity_and_keeps_the_books(bank, core, vault):
    loan = await _three_month_loan(core, vault)
    today = await business_date.current()
    assert (loan.annual_rate_ppm, loan.maturity_on, loan.outstanding_principal_fen) == (45_000, date(2027, 2, 27), 200_374)
    before = await _rows(loan.id)
    assert before == [
        (1, date(2026, 12, 27), 99_626, 1_125, InstallmentStatus.PAID),
        (2, date(2027, 1, 27), 100_000, 751, InstallmentStatus.PENDING),
        (3, date(2027, 2, 27), 100_374, 376, InstallmentStatus.PENDING),
    ]
    maker = await _actor("officer1")
    command = await propose_extension(actor=maker, loan_id=loan.id, months=3, restructured=False, reason="春耕资金周转，借款人申请展期",
                                      today=today, now=NOW, policy=MC)
    assert command.status == CommandStatus.PENDING
    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}
    assert figures["到期日"] == ("2027-02-27", "2027-05-27")
    assert figures["剩余本金"] == (200_374, 200_374)
    assert figures["剩余应还利息"] == (1_127, 2_259)
    assert await _rows(loan.id) == before  # nothing changes before the checker approves
    with pytest.raises(Forbidden):
        await approve(actor=maker, command_id=command.id, today=today, now=NOW)
    checker = await _actor("approver")
    view = await command_view(actor=checker, command_id=command.id, today=today, now=NOW)
    assert view.may_check and not view.changed
    await approve(actor=checker, command_id=command.id, today=today, now=NOW, seen=view.now.to_json())
    total = (await portfolio_summary(actor=checker)).total  # the portfolio counts the extended loan and its balance
    assert (total.extended, total.extended_outstanding_fen, total.renewed, total.renewed_outstanding_fen) == (1, 200_374, 0, 0)
    totals = (await render_csv("portfolio", checker, Params(GroupBy.BRANCH, Interval.MONTH, ReportFilter()), part="totals")).text.splitlines()[1]
    assert totals.endswith(",0,0.00,1,2003.74")  # the CSV download carries them too: 无还本续贷笔数, 余额, 展期笔数, 余额
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.APPROVED

    loan = await Loan.get(id=loan.id)
    assert (loan.maturity_on, loan.term_months, loan.annual_rate_ppm, loan.lpr_tenor) == (date(2027, 5, 27), 6, 45_000, "1y")
    # the current period keeps its interest (751); 200,374 fen over five dates at 4.50 %: payment 40,527, each row's
    # interest = balance × 45,000 / 12,000,000 half-up, principal = 40,527 − that interest, the last row the remainder
    assert await _rows(loan.id) == [
        (1, date(2026, 12, 27), 99_626, 1_125, InstallmentStatus.PAID),
        (2, date(2027, 1, 27), 39_776, 751, InstallmentStatus.PENDING),
        (3, date(2027, 2, 27), 39_925, 602, InstallmentStatus.PENDING),
        (4, date(2027, 3, 27), 40_074, 453, InstallmentStatus.PENDING),
        (5, date(2027, 4, 27), 40_225, 302, InstallmentStatus.PENDING),
        (6, date(2027, 5, 27), 40_374, 151, InstallmentStatus.PENDING),
    ]
    assert sum(r[2] for r in await _rows(loan.id)) == 300_000
    record = await LoanExtension.get(loan_id=loan.id)
    assert (record.months, record.original_term_months, record.old_maturity_on, record.balance_fen, record.restructured) == (
        3, 3, date(2027, 2, 27), 200_374, False)
    message = await OutboxMessage.get(kind="loan_extended")
    assert message.payload["newMaturity"] == "2027-05-27" and message.payload["months"] == 3
    # the following end-of-days debit the rebuilt installment and the books stay exact
    await _until(core, vault, date(2027, 1, 29))
    assert await ledger_check(today=date(2027, 1, 28)) == []
    second = await Installment.get(loan_id=loan.id, number=2)
    assert second.status == InstallmentStatus.PAID and second.paid_principal_fen == 39_776 and second.paid_interest_fen == 751
    assert (await Loan.get(id=loan.id)).outstanding_principal_fen == 200_374 - 39_776


async def test_the_limits_are_refused_in_chinese_and_change_nothing(bank, core, vault):
    loan = await _three_month_loan(core, vault)
    today = await business_date.current()
    maker = await _actor("officer1")
    with pytest.raises(ValidationError) as refused:
        await propose_extension(actor=maker, loan_id=loan.id, months=4, restructured=False, reason="申请展期", today=today, now=NOW, policy=MC)
    assert refused.value.message == "短期贷款展期累计不得超过原贷款期限：原期限 3 个月，最多还可展期 3 个月"
    assert await PendingCommand.filter(kind="extension").count() == 0
    # once per loan: a second extension is refused (the first one runs at once when the settings do not list the kind)
    at_once = MakerCheckerPolicy(kinds=frozenset())
    await propose_extension(actor=maker, loan_id=loan.id, months=1, restructured=False, reason="申请展期", today=today, now=NOW, policy=at_once)
    assert (await Loan.get(id=loan.id)).maturity_on == date(2027, 3, 27)
    with pytest.raises(ValidationError) as again:
        await propose_extension(actor=maker, loan_id=loan.id, months=1, restructured=False, reason="再次展期", today=today, now=NOW, policy=MC)
    assert again.value.message == "该借据已展期 1 次，每笔贷款最多展期一次"
    assert await LoanExtension.filter(loan_id=loan.id).count() == 1


async def test_a_restructuring_extension_sets_the_restructured_floor(bank, core, vault):
    loan = await _three_month_loan(core, vault)
    today = await business_date.current()
    maker = await _actor("officer1")
    command = await propose_extension(actor=maker, loan_id=loan.id, months=2, restructured=True, reason="借款人因灾减收，财务困难",
                                      today=today, now=NOW, policy=MC)
    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}
    assert figures["五级分类"] == ("正常", "关注")
    await approve(actor=await _actor("approver"), command_id=command.id, today=today, now=NOW)
    loan = await Loan.get(id=loan.id)
    risk = await LoanRisk.get(loan_id=loan.id)
    assert loan.classification == LoanClass.SPECIAL_MENTION
    assert (risk.floor_class, risk.floor_kind) == (LoanClass.SPECIAL_MENTION, FloorKind.RESTRUCTURED)
    await _until(core, vault, date(2027, 1, 29))
    assert (await Loan.get(id=loan.id)).classification == LoanClass.SPECIAL_MENTION  # end-of-day keeps the floor
    assert await ledger_check(today=date(2027, 1, 28)) == []


async def test_a_guaranteed_loan_is_extended_only_with_each_guarantors_written_consent(bank, core, vault):
    """贷款通则: a guaranteed loan's extension needs the guarantor's written consent first. The borrower is in a 联保
    group of five households: the proposal is refused, naming the four guarantors, until each one's signed consent
    (for at least the months asked) is recorded; the checker's effect lists them. A consent for fewer months does not
    count, and a consent covers one extension. Before, the effect said the loan had no guarantor record."""
    loan = await _three_month_loan(core, vault)
    today = await business_date.current()
    maker = await _actor("officer1")
    borrower = await Customer.get(id=loan.customer_id)
    await in_household(borrower, "900")
    others = await households(vault, 4)
    await form_group(actor=maker, name="西街村联保小组", members=members([borrower, *others]), on=today, now=SIGNED, kit=signing_kit())

    async def propose(months=2):
        return await propose_extension(actor=maker, loan_id=loan.id, months=months, restructured=False, reason="经营周转困难", today=today,
                                       now=NOW, policy=MC)

    with pytest.raises(ValidationError) as refused:
        await propose()
    assert refused.value.message == "保证人联保户1、联保户2、联保户3、联保户4尚未书面同意本次展期（2 个月），请先在借据页登记保证人同意书"
    guarantors = await consents_of(actor=maker, loan_id=loan.id)
    assert [(m.customer.name, c) for m, c in guarantors] == [(f"联保户{i}", None) for i in range(1, 5)]
    for member, _ in guarantors[:3]:
        await record_consent(actor=maker, loan_id=loan.id, member_id=member.id, months=2, now=SIGNED, kit=signing_kit())
    await record_consent(actor=maker, loan_id=loan.id, member_id=guarantors[3][0].id, months=1, now=SIGNED, kit=signing_kit())  # agreed to one month only
    with pytest.raises(ValidationError, match="保证人联保户4尚未书面同意本次展期（2 个月）"):
        await propose()
    with pytest.raises(ValidationError, match="不为这笔借据提供保证"):  # the borrower's own membership guarantees the others, not this loan
        own = await GuaranteeMember.get(customer_id=loan.customer_id)
        await record_consent(actor=maker, loan_id=loan.id, member_id=own.id, months=2, now=SIGNED, kit=signing_kit())
    await record_consent(actor=maker, loan_id=loan.id, member_id=guarantors[3][0].id, months=3, now=SIGNED, kit=signing_kit())
    assert await PendingCommand.all().count() == 0
    command = await propose()
    assert any(n.startswith("保证人已书面同意展期：联保户1（") for n in command.preview["notes"])
    await approve(actor=await _actor("approver"), command_id=command.id, today=today, now=NOW)
    assert await LoanExtension.filter(loan_id=loan.id).count() == 1
    assert all(c is None for _, c in await consents_of(actor=maker, loan_id=loan.id))  # used by this extension
    assert await GuarantorConsent.filter(loan_id=loan.id).count() == 5 and all(len(c.text_sha256) == 64 for c in await GuarantorConsent.all())


async def test_a_guarantors_consent_is_a_signed_and_sealed_pdf_in_their_archive_and_recording_it_twice_signs_once(bank, core, vault):
    loan = await _three_month_loan(core, vault)
    today = await business_date.current()
    maker = await _actor("officer1")
    borrower = await Customer.get(id=loan.customer_id)
    await in_household(borrower, "900")
    others = await households(vault, 4)
    kit = signing_kit()
    await form_group(actor=maker, name="西街村联保小组", members=members([borrower, *others]), on=today, now=SIGNED, kit=kit)
    member = (await consents_of(actor=maker, loan_id=loan.id))[0][0]
    consent = await record_consent(actor=maker, loan_id=loan.id, member_id=member.id, months=2, now=SIGNED, kit=kit)
    doc = await Document.get(id=consent.document_id)
    pdf = kit.media.get(doc.sha256)
    # the PDF exists, hashes to the document's address, is the guarantor's, and carries their signature and the bank's seal
    assert hashlib.sha256(pdf).hexdigest() == doc.sha256 and doc.customer_id == member.customer_id and "保证人同意展期书" in doc.title
    checks = await asyncio.to_thread(validate_pdf, pdf, kit.pki.trust_roots)
    assert [(c.field, c.signer, c.ok) for c in checks] == [("signer", "联保户1", True), ("bank", "村信开发银行 合同专用章", True)]
    for words in ("保证人同意展期书", "不超过 2 个月", member.contract_no, borrower.name):
        assert _hex(words).encode() in pdf, words
    audit = await AuditEvent.get(action="loan.extension_consent", entity_id=str(loan.id))
    assert audit.after["sha256"] == doc.sha256 and audit.after["documentId"] == str(doc.id)
    # a second tap (the same months, nothing extended since) returns the same consent: no second record, no second PDF
    documents = await Document.all().count()
    again = await record_consent(actor=maker, loan_id=loan.id, member_id=member.id, months=2, now=SIGNED, kit=kit)
    assert again.id == consent.id and await GuarantorConsent.all().count() == 1 and await Document.all().count() == documents
    # a consent for more months is a new signed document
    more = await record_consent(actor=maker, loan_id=loan.id, member_id=member.id, months=3, now=SIGNED, kit=kit)
    assert more.id != consent.id and more.document_id not in (None, consent.document_id)
    # the guarantor's e-archive verifies: the guarantee contract and both consents, each with two signatures
    report = await verify_archive(actor=SYSTEM, customer_id=member.customer_id, media=kit.media, trust_roots=kit.pki.trust_roots)
    expected = {c.document.id: c.expected_signatures for c in report.checks}
    assert report.ok and expected[consent.document_id] == 2 and expected[more.document_id] == 2 and expected[member.document_id] == 2


async def _restructured(core, vault):
    loan = await _loan(core, vault, card=PAYS)  # 12,000.00 over 12 months, drawn 2026-11-27, every installment debited on time
    await _until(core, vault, date(2026, 12, 28))
    today = await business_date.current()
    command = await propose_extension(actor=await _actor("officer1"), loan_id=loan.id, months=3, restructured=True, reason="借款人因灾减收，财务困难",
                                      today=today, now=NOW, policy=MC)
    await approve(actor=await _actor("approver"), command_id=command.id, today=today, now=NOW)
    risk = await LoanRisk.get(loan_id=loan.id)
    assert (risk.floor_kind, risk.floor_until) == (FloorKind.RESTRUCTURED, date(2027, 6, 28))
    return loan


@pytest.mark.slow
async def test_a_restructuring_floor_is_lifted_through_an_upgrade_when_its_observation_has_run(bank, core, vault):
    """重组: the floor holds 关注 through the observation (the later of 6 months and 2 periods, paid on time); the day it
    ends, end-of-day raises an upgrade proposal to what the days past due give, an approver lifts the floor with it.
    Before, the observation's end was only written in the floor's reason and an officer had to remove the floor."""
    from app.models import ClassUpgradeProposal
    from app.services.lending.classification import decide_upgrade

    loan = await _restructured(core, vault)
    await _until(core, vault, date(2027, 6, 28))  # the close of 27 June: the observation has not ended
    assert await ClassUpgradeProposal.filter(loan_id=loan.id).count() == 0
    await _until(core, vault, date(2027, 6, 29))
    proposal = await ClassUpgradeProposal.get(loan_id=loan.id)
    assert (proposal.from_class, proposal.proposed_class, proposal.observed_from) == (LoanClass.SPECIAL_MENTION, LoanClass.NORMAL, date(2026, 12, 28))
    await decide_upgrade(actor=await _actor("approver"), proposal_id=proposal.id, approve=True, today=date(2027, 6, 29))
    risk = await LoanRisk.get(loan_id=loan.id)
    assert (await Loan.get(id=loan.id)).classification == LoanClass.NORMAL
    assert (risk.floor_class, risk.floor_kind, risk.floor_until) == (None, None, None) and "重组观察期满" in risk.floor_reason
    await _until(core, vault, date(2027, 7, 2))
    assert (await Loan.get(id=loan.id)).classification == LoanClass.NORMAL  # the close no longer holds it at 关注


@pytest.mark.slow
async def test_a_late_payment_in_the_observation_starts_it_again(bank, core, vault):
    """An installment paid 9 days late during the restructuring's observation: when the observation would have ended, no
    upgrade is proposed; it runs again from that payment (6 months, 2 periods) and the floor holds 关注 meanwhile."""
    import uuid

    from app.models import BankCard, ClassUpgradeProposal
    from app.services.customers.identifiers import card_fields
    from app.services.lending.repayment import repay
    from tests.services.lending.test_classification_state import FAILS, _owed

    loan = await _restructured(core, vault)
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, FAILS))
    await _until(core, vault, date(2027, 4, 5))  # 27 March's installment is not debited
    today = await business_date.current()
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYS))
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=await _owed(loan.id, today), idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    await _until(core, vault, date(2027, 6, 30))
    assert await ClassUpgradeProposal.filter(loan_id=loan.id).count() == 0
    risk = await LoanRisk.get(loan_id=loan.id)
    assert (risk.floor_kind, risk.floor_set_on, risk.floor_until) == (FloorKind.RESTRUCTURED, date(2027, 4, 5), date(2027, 10, 5))
    assert (await Loan.get(id=loan.id)).classification == LoanClass.SPECIAL_MENTION


async def test_a_restructurings_observation_follows_the_policy_the_close_runs_with(bank, core, vault):
    """The observation's end is judged by the classification policy of the latest close (the settings'), not the default:
    with one month and two periods, the restructuring of 2026-12-28 is observed to the second due date after it."""
    from tests.services.lending.test_classification_state import SHORT

    loan = await _loan(core, vault, card=PAYS)
    await _until(core, vault, date(2026, 12, 28), SHORT)
    today = await business_date.current()
    command = await propose_extension(actor=await _actor("officer1"), loan_id=loan.id, months=3, restructured=True, reason="借款人因灾减收，财务困难",
                                      today=today, now=NOW, policy=MC)
    await approve(actor=await _actor("approver"), command_id=command.id, today=today, now=NOW)
    assert (await LoanRisk.get(loan_id=loan.id)).floor_until == date(2027, 2, 27)  # the default policy would say 2027-06-28


async def test_an_extension_above_the_branchs_authority_is_checked_by_the_head_office(bank, core, vault):
    """支行审批权限: with the branch's authority at 1,000.00 yuan, the extension of a 2,003.74 balance goes to the head office:
    the branch approver is refused with the reason and does not find it in the queue; a head-office approver checks it."""
    from app.services.maker_checker.commands import pending_queue
    from tests.services.lending.test_write_off import head_office_approver

    loan = await _three_month_loan(core, vault)
    today = await business_date.current()
    policy = MakerCheckerPolicy(branch_authority_fen=100_000)
    command = await propose_extension(actor=await _actor("officer1"), loan_id=loan.id, months=1, restructured=False, reason="春耕资金周转",
                                      today=today, now=NOW, policy=policy)
    assert (command.amount_fen, command.head_office) == (200_374, True)
    branch = await _actor("approver")
    assert command.id not in [c.id for c in await pending_queue(actor=branch, now=NOW)]
    with pytest.raises(Forbidden) as refused:
        await approve(actor=branch, command_id=command.id, today=today, now=NOW)
    assert refused.value.message == "该申请金额 ¥2,003.74 超出支行审批权限，须由总行复核"
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.PENDING
    head = await head_office_approver()
    assert command.id in [c.id for c in await pending_queue(actor=head, now=NOW)]
    await approve(actor=head, command_id=command.id, today=today, now=NOW)
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.APPROVED
    assert await LoanExtension.filter(loan_id=loan.id).count() == 1
    # within the authority the branch's approver checks, as before
    assert MC.above_branch_authority(200_374) is False

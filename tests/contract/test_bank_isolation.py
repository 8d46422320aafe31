"""Isolation between member banks (issue 15), over every door: every GraphQL query field, `node(id:)` for every
node type and every GET page of the PAD, generated from the schema and the route table.

Two banks with data in each (bank B is 翼城农商行 of tests/factories/banks.py, given the demo's 汾城支行 and its data). Officers of each role of
bank A and a bank-A report key, given bank B's ids where a door takes an id, see none of bank B's ids, names or
masked numbers; bank B's pages are 未找到 (404) for them. Platform staff see both banks and may change neither.
The meta-tests fail when a query field, a node type, an id argument or a page's path parameter is added without
the generator knowing how to fill it, so a new door cannot skip this test.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql import GraphQLInterfaceType, GraphQLUnionType, Undefined
from starlette.routing import Route
from strawberry.relay import GlobalID

from app.api.permissions import MUTATION_ACTIONS
from app.api.schema import schema
from app.domain.permissions import allows_platform_staff
from app.models import (
    Appraisal, Bank, BankCard, Branch, CensusImport, CollectionTask, CreditLine, Customer, CustomerRelationship, Document, EarlyWarning,
    FaceEnrolment, FaceVerification, GuaranteeGroup, GuaranteeMember, Household, HouseholdMember, IdCardRead, ListEntry, Loan, Officer,
    ImportRun, PendingCommand, PostLoanCheck, Product, Village, Visit,
)
from app.services import business_date
from app.services.risk import add_to_list
from tests.api.reporting.helpers import officer as officer_headers, report_key
from tests.factories import csrf_token, login
from tests.factories.banks import move_branch_to, second_bank
from tests.factories.reporting import full_book
from tests.factories.risk import id_number
from tests.factories.villages import FENCHENG, XIJIE, actor
from tests.services.visits.helpers import TODAY, ctx_for, family, start
from ui.permissions import ROUTE_ACTIONS
from ui.routes import routes

BANK_A_ROLES = ("officer1", "approver", "manager", "admin", "auditor")
PLATFORM = ("platform_auditor", "platform_admin")
FENCHENG_CENTRE = (35.9731, 111.3012)

# --- what the generator fills in ---------------------------------------------------------------

# Query fields that read no bank's data (public or the caller's own session); everything else is generated.
NOT_BANK_DATA = {
    "viewer": "the signed-in officer themself",
    "me": "the signed-in borrower themself",
    "schedulePreview": "the public calculator: numbers in, numbers out",
    "lprRates": "the published LPR, the same for every bank",
}
# An id argument (or input field) named so → the kind of bank-B row it is given.
ID_ARGUMENTS = {
    "customerId": "Customer", "creditLineId": "CreditLine", "loanId": "Loan", "branchId": "Branch", "villageId": "Village",
    "officerId": "Officer", "productId": "Product", "bankId": "Bank", "id": "node", "groupId": "GuaranteeGroup", "guaranteeId": "Guarantee",
}
# `node(id:)` for each node type: the model whose bank-B row it is asked for.
NODE_MODELS = {
    "Branch": Branch, "CollectionTask": CollectionTask, "CreditLine": CreditLine, "EarlyWarning": EarlyWarning, "ListEntry": ListEntry,
    "Loan": Loan, "Officer": Officer, "Product": Product,
}
# A page's path parameter → the kind of bank-B row it is given (a string parameter: the value to use).
PATH_PARAMETERS = {
    "loan_id": "Loan", "line_id": "CreditLine", "customer_id": "Customer", "document_id": "Document", "warning_id": "EarlyWarning",
    "task_id": "CollectionTask", "village_id": "Village", "household_id": "Household", "member_id": "HouseholdMember",
    "import_id": "CensusImport", "appraisal_id": "Appraisal", "enrolment_id": "FaceEnrolment", "read_id": "IdCardRead",
    "verification_id": "FaceVerification", "visit_id": "Visit", "officer_id": "Officer", "liveness_id": "LivenessCheck",
    "message_id": "OutboxMessage", "entry_id": "ListEntry", "objection_id": "Objection", "check_id": "PostLoanCheck",
    "record_id": "IdCardRead", "command_id": "PendingCommand", "group_id": "GuaranteeGroup", "guarantee_id": "Guarantee",
    "application_id": "CreditApplication", "run_id": "ImportRun",
}
STRING_PARAMETERS = {"kind": "ocr", "token": "x", "name": "portfolio"}  # path parameters that are not ids
# GET pages with a path parameter that show no bank's record: what they are.
GET_NOT_BANK_DATA = {
    "/census/template.{kind}": "the blank census template",
    "/admin/import/template/{kind}.xlsx": "a blank portfolio import template (header, notes, example rows): the same for every bank",
    "/vote/{member_id}/{token}": "a villager's voting link: the token, not a login, decides (bank B's token is not A's to have)",
    "/reports/{name}.csv": "a report as CSV: checked with the list pages (no B marker), by name",
}
REPORT_CSVS = ("portfolio",)


@dataclass
class Markers:
    """What of bank B must never reach bank A: ids (as UUIDs and inside global ids), names, masked numbers."""

    ids: dict[str, list[uuid.UUID]] = field(default_factory=dict)
    words: set[str] = field(default_factory=set)
    bank_a: Markers | None = None  # bank A's ids (the doors platform staff open on real rows)

    def first(self, kind: str) -> uuid.UUID:
        rows = self.ids.get(kind) or []
        return rows[0] if rows else uuid.uuid4()  # no such row in bank B: a fresh id (the page is then 404 anyway)

    def found_in(self, text: str) -> list[str]:
        text = _with_global_ids_decoded(text)
        hits = [w for w in self.words if w in text]
        hits += [f"{kind}:{i}" for kind, ids in self.ids.items() for i in ids if str(i) in text]
        return hits


def _with_global_ids_decoded(text: str) -> str:
    decoded = []
    for token in set(re.findall(r"[A-Za-z0-9+/]{40,}={0,2}", text)):
        try:
            decoded.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode())
        except (ValueError, UnicodeDecodeError):
            continue
    return text + "\n" + "\n".join(decoded)


# --- two banks with data in each ---------------------------------------------------------------


async def two_banks(vault, settings) -> Markers:
    await business_date.set_current(TODAY)
    book = await full_book(vault)  # C1–C3, C6 in bank A's 新城支行; C4, C5 (loans L4, L5, a warning, a task) in 汾城支行
    for code, by, seq, at in ((XIJIE, "officer1", 357, None), (FENCHENG, "officer2", 361, FENCHENG_CENTRE)):
        fam = await family(vault, head_seq=seq, spouse_seq=None, village_code=code, no="V01", by=by)
        await start(await ctx_for(vault, settings, fam, by=by), **({"at": at} if at else {}))
    fencheng = await Village.get(division_code=FENCHENG)
    await Appraisal.create(village=fencheng, product=await Product.get(code="BIANLI"), status="published", rules={}, approved_at=datetime(2026, 1, 5, tzinfo=UTC))
    await EarlyWarning.create(kind="rising_dpd", severity="high", customer=book.customers["C5"], loan=book.loans["L5"], subject_id=book.loans["L5"].id,
                              branch_id=book.customers["C5"].branch_id, business_on=TODAY, message="测试预警", evidence={}, status="open")
    await CollectionTask.create(loan=book.loans["L5"], customer=book.customers["C5"], branch_id=book.customers["C5"].branch_id,
                                open_loan_id=book.loans["L5"].id, opened_on=TODAY - timedelta(days=3), opened_dpd=30)
    for name in ("C1", "C4"):
        await _documents_of(book.customers[name])
    for name in ("L1", "L4"):
        loan = book.loans[name]
        await PostLoanCheck.create(loan=loan, customer_id=loan.customer_id, branch_id=loan.branch_id, reason="first", due_on=TODAY, raised_on=TODAY)
    await Appraisal.filter(status="published", published_on=None).update(published_on=TODAY - timedelta(days=2), objection_until=TODAY + timedelta(days=5))
    bank_b = await second_bank()
    branches = [bank_b.head.id, bank_b.branch.id, *await move_branch_to(bank_b, "XF020")]
    for who, number in ((await actor("manager"), 901), (await bank_b.actor("yc_manager"), 903)):  # an entry on each bank's own list
        await add_to_list(actor=who, vault=vault, id_number=id_number(number), name="名单人", list_kind="black", reason="骗贷", today=TODAY)
    for bank_id, branch_id, maker in ((bank_b.bank.id, bank_b.branch.id, bank_b.officers["yc_officer"].id),
                                      ((await Bank.get(code="14102301")).id, book.customers["C1"].branch_id, (await Officer.get(username="officer1")).id)):
        await PendingCommand.create(kind="write_off", params={"loan_id": str(uuid.uuid4())}, bank_id=bank_id, branch_id=branch_id, subject="待复核核销",
                                    maker_id=maker, reason="测试", preview={"title": "核销", "figures": [], "notes": []}, made_on=TODAY,
                                    expires_at=datetime(2099, 1, 1, tzinfo=UTC))
        await ImportRun.create(bank_id=bank_id, officer_id=maker, kind="customers", token="0" * 32 + ".csv", confirm=False, status="done",
                               result={"bank_name": "", "rows": 0, "new": 0, "skipped": 0, "errors": [], "error_count": 0, "committed": False})
    bank_a_id = (await Bank.get(code="14102301")).id
    for n, (bank_id, in_branches) in enumerate(((bank_b.bank.id, branches), (bank_a_id, list(await Branch.filter(bank_id=bank_a_id).exclude(
            id__in=branches).values_list("id", flat=True)))), 1):  # a 联保 group in each bank
        await _guarantee_group(n, bank_id, in_branches)
    b_customers = set(await Customer.filter(bank_id=bank_b.bank.id).values_list("id", flat=True))
    await CustomerRelationship.filter(customer_id__in=list(b_customers), related_id__not_in=list(b_customers)).delete()
    await CustomerRelationship.filter(related_id__in=list(b_customers), customer_id__not_in=list(b_customers)).delete()
    m = await _markers_of(bank_b.bank, branches)
    bank_a = await Bank.get(code="14102301")
    m.bank_a = await _ids_of(bank_a, list(await Branch.filter(bank_id=bank_a.id).values_list("id", flat=True)))
    return m


async def _guarantee_group(n: int, bank_id, branches: list) -> None:
    household = await Household.filter(village__branch_id__in=branches).prefetch_related("village").first()
    customer = await Customer.filter(bank_id=bank_id, branch_id__in=branches).first()
    group = await GuaranteeGroup.create(bank_id=bank_id, branch_id=household.village.branch_id, village_id=household.village_id, name=f"联保组{n}",
                                        formed_on=TODAY)
    await GuaranteeMember.create(group=group, household=household, customer=customer, bank_id=bank_id, amount_fen=100_00, contract_no=f"LBTEST{n}",
                                 contract_sha256="0" * 64, signed_at=datetime(2026, 1, 5, tzinfo=UTC))


async def _documents_of(customer: Customer) -> None:
    officer = await Officer.filter(branch_id=customer.branch_id).first()
    image = await Document.create(sha256="0" * 64, kind="id_card_front", content_type="image/jpeg", size_bytes=1, customer=customer, title="身份证正面")
    await Document.create(sha256="1" * 64, kind="authorisation", content_type="application/pdf", size_bytes=1, customer=customer, title="征信授权书")
    read = await IdCardRead.create(customer=customer, officer=officer, side="front", image=image, status="done")
    await FaceVerification.create(purpose="customer_match", customer=customer, requested_by=officer, probe=image, reference="portrait", id_card_read=read,
                                  threshold=0.4, model="test")
    await FaceEnrolment.create(officer=officer, captures=[str(image.id)])
    await CensusImport.create(filename="名册.xlsx", file_sha256="2" * 64, size_bytes=1, branch_id=customer.branch_id, created_by=officer,
                              row_count=0, error_count=0)
    await BankCard.create(customer=customer, bank_name="山西农信", card_number_enc=b"x", card_number_hash=f"card-{customer.id}",
                          card_number_masked=f"6217********{str(customer.id.int)[-4:]}", verified_at=datetime(2026, 1, 5, tzinfo=UTC))


async def _markers_of(bank: Bank, branches: list) -> Markers:
    m = await _ids_of(bank, branches)
    customers = [c async for c in Customer.filter(bank_id=bank.id)]
    for n, c in enumerate(customers, 1):  # names no bank-A row can carry
        await Customer.filter(id=c.id).update(name=f"乙行客户{n}")
    members = await HouseholdMember.filter(household__village__branch_id__in=branches)
    for n, member in enumerate(members, 1):
        await HouseholdMember.filter(id=member.id).update(name=f"乙行村民{n}")
    await Officer.filter(branch_id__in=branches).update(display_name="乙行员工")
    m.words |= {"乙行客户", "乙行村民", "乙行员工", "翼城农商行", "唐兴支行", "东关村", "汾城支行", "汾城村"}
    b_masked = set(await Customer.filter(bank_id=bank.id).values_list("id_number_masked", flat=True))
    b_masked |= set(await BankCard.filter(customer__bank_id=bank.id).values_list("card_number_masked", flat=True))
    a_masked = set(await Customer.exclude(bank_id=bank.id).values_list("id_number_masked", flat=True))
    a_masked |= set(await BankCard.exclude(customer__bank_id=bank.id).values_list("card_number_masked", flat=True))
    m.words |= {w for w in b_masked - a_masked if w}
    return m


async def _ids_of(bank: Bank, branches: list) -> Markers:
    """The ids of everything recorded in these branches of `bank`, by kind."""
    m = Markers()

    async def ids(kind, model, **scope):
        m.ids[kind] = list(await model.filter(**scope).values_list("id", flat=True))

    m.ids["Bank"] = [bank.id]
    await ids("Branch", Branch, id__in=branches)
    await ids("Officer", Officer, branch_id__in=branches)
    await ids("Customer", Customer, bank_id=bank.id)
    await ids("Village", Village, branch_id__in=branches)
    await ids("Household", Household, village__branch_id__in=branches)
    await ids("HouseholdMember", HouseholdMember, household__village__branch_id__in=branches)
    await ids("CreditLine", CreditLine, branch_id__in=branches)
    await ids("Loan", Loan, branch_id__in=branches)
    await ids("PendingCommand", PendingCommand, bank_id=bank.id)
    await ids("ImportRun", ImportRun, bank_id=bank.id)
    await ids("Visit", Visit, branch_id__in=branches)
    await ids("EarlyWarning", EarlyWarning, branch_id__in=branches)
    await ids("CollectionTask", CollectionTask, branch_id__in=branches)
    await ids("Appraisal", Appraisal, village__branch_id__in=branches)
    await ids("Product", Product, bank_id=bank.id)
    await ids("Document", Document, customer__bank_id=bank.id)
    await ids("IdCardRead", IdCardRead, customer__bank_id=bank.id)
    await ids("FaceVerification", FaceVerification, customer__bank_id=bank.id)
    await ids("FaceEnrolment", FaceEnrolment, officer__branch_id__in=branches)
    await ids("CensusImport", CensusImport, branch_id__in=branches)
    await ids("PostLoanCheck", PostLoanCheck, branch_id__in=branches)
    await ids("ListEntry", ListEntry, bank_id=bank.id)
    await ids("GuaranteeGroup", GuaranteeGroup, branch_id__in=branches)
    await ids("Guarantee", GuaranteeMember, group__branch_id__in=branches)
    return m


# --- GraphQL: one document per query field, generated from the schema --------------------------


def _named(t):
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


def _required(arg) -> bool:
    return isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined


def _selection(t, depth: int) -> str:
    """Every scalar field, and objects `depth` levels down (fields with required arguments left out)."""
    t = _named(t)
    if isinstance(t, (GraphQLScalarType, GraphQLEnumType)):
        return ""
    if isinstance(t, (GraphQLInterfaceType, GraphQLUnionType)):
        return "{ __typename }"
    parts = []
    for name, f in t.fields.items():
        if any(_required(a) for a in f.args.values()):
            continue
        inner = _named(f.type)
        if isinstance(inner, (GraphQLScalarType, GraphQLEnumType)):
            parts.append(name)
        elif depth > 0:
            parts.append(f"{name} {_selection(inner, depth - 1)}")
    return "{ " + " ".join(parts or ["__typename"]) + " }"


def _value(name: str, t, m: Markers, *, fill_optional: bool):
    t_inner = t.of_type if isinstance(t, GraphQLNonNull) else t
    named = _named(t_inner)
    if isinstance(named, GraphQLInputObjectType):
        value = {}
        for fname, f in named.fields.items():
            required = _required(f)
            if required or (fill_optional and fname in ID_ARGUMENTS):
                value[fname] = _value(fname, f.type, m, fill_optional=fill_optional)
        return value
    if named.name == "ID":
        kind = ID_ARGUMENTS[name]
        return str(GlobalID(kind, str(m.first(kind))))
    return {"Decimal": "1000.00", "Int": 12, "Date": TODAY.isoformat(), "String": "x", "Boolean": False}.get(named.name) or list(named.values)[0]


def _query_documents(m: Markers) -> list[tuple[str, str, dict]]:
    """(label, document, variables) for every query field; fields with optional id filters also with bank B's ids."""
    gql_schema = schema._schema
    docs = []
    for name, f in gql_schema.query_type.fields.items():
        if name in NOT_BANK_DATA:
            continue
        if name == "node":
            for type_name in NODE_MODELS:
                sel = _selection(gql_schema.type_map[type_name], 1)
                docs.append((f"node:{type_name}", f"query($id: ID!) {{ node(id: $id) {{ __typename ... on {type_name} {sel} }} }}", {"id": type_name}))
            continue
        for fill_optional in (False, True):
            args = {a: f.args[a] for a in f.args if _required(f.args[a])
                    or (fill_optional and isinstance(_named(f.args[a].type), GraphQLInputObjectType))}
            if fill_optional and not args:
                continue
            variables = {a: _value(a, arg.type, m, fill_optional=fill_optional) for a, arg in args.items()}
            header = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
            call = ", ".join(f"{a}: ${a}" for a in args)
            sel = _selection(f.type, 3)
            docs.append((f"{name}{'+ids' if fill_optional else ''}",
                         f"query{f'({header})' if header else ''} {{ {name}{f'({call})' if call else ''} {sel} }}", variables))
    return docs


async def _node_variables(m: Markers, variables: dict) -> dict:
    if set(variables) == {"id"} and variables["id"] in NODE_MODELS:
        kind = variables["id"]
        return {"id": str(GlobalID(kind, str(m.first(kind))))}
    return variables


async def _ask(client, headers, document, variables) -> tuple[dict, str]:
    response = await client.post("/graphql", json={"query": document, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json(), response.text


def test_the_generated_documents_cover_every_query_field_and_node_type():
    gql_schema = schema._schema
    fields = set(gql_schema.query_type.fields)
    docs = {label.split("+")[0].split(":")[0] for label, _, _ in _query_documents(Markers())}
    assert fields - set(NOT_BANK_DATA) <= docs, fields - set(NOT_BANK_DATA) - docs
    node_types = {t.name for t in gql_schema.type_map.values() if isinstance(t, GraphQLObjectType) and "Node" in {i.name for i in t.interfaces}}
    assert node_types == set(NODE_MODELS), node_types ^ set(NODE_MODELS)
    ids = {a for f in gql_schema.query_type.fields.values() for a, arg in f.args.items() if _named(arg.type).name == "ID"}
    ids |= {fname for t in gql_schema.type_map.values() if isinstance(t, GraphQLInputObjectType) and not t.name.startswith("__")
            for fname, f in t.fields.items() if _named(f.type).name == "ID"}
    query_inputs = {_named(arg.type).name for f in gql_schema.query_type.fields.values() for arg in f.args.values()}
    query_ids = {a for f in gql_schema.query_type.fields.values() for a, arg in f.args.items() if _named(arg.type).name == "ID"}
    query_ids |= {fname for n in query_inputs if isinstance(gql_schema.type_map[n], GraphQLInputObjectType)
                  for fname, f in gql_schema.type_map[n].fields.items() if _named(f.type).name == "ID"}
    assert query_ids <= set(ID_ARGUMENTS), query_ids - set(ID_ARGUMENTS)


def test_every_get_page_is_generated():
    for path, params in _get_routes():
        for p in params:
            assert p in PATH_PARAMETERS or path in GET_NOT_BANK_DATA, (path, p)


async def test_bank_a_officers_and_report_keys_see_nothing_of_bank_b_by_any_query(client, demo, vault, settings):
    m = await two_banks(vault, settings)
    callers = {u: await officer_headers(u) for u in BANK_A_ROLES}
    callers["report key"] = (await report_key("XF000"))[0]
    leaks = []
    for label, document, variables in _query_documents(m):
        variables = await _node_variables(m, variables)
        for who, headers in callers.items():
            body, text = await _ask(client, headers, document, variables)
            assert not [e for e in body.get("errors") or [] if "Cannot query" in e["message"] or "Variable" in e["message"]], (label, body)
            hits = m.found_in(text)
            if hits:
                leaks.append((label, who, hits[:3]))
    assert leaks == [], "\n".join(map(str, leaks))


async def test_platform_staff_see_both_banks_by_query(client, demo, vault, settings):
    m = await two_banks(vault, settings)
    a_loans = {str(i) for i in await Loan.exclude(id__in=m.ids["Loan"]).values_list("id", flat=True)}
    for who in PLATFORM:
        body, text = await _ask(client, await officer_headers(who), "{ loans(first: 50) { edges { node { id } } } }", {})
        seen = _with_global_ids_decoded(text)
        assert any(i in seen for i in a_loans) and m.found_in(text), (who, body)


# --- PAD pages: every GET route, generated from the route table --------------------------------


def _get_routes() -> list[tuple[str, list[str]]]:
    out = []
    for route in routes:
        if isinstance(route, Route) and "GET" in (route.methods or set()):
            out.append((route.path, list(route.param_convertors)))
    return out


def _fill(path: str, m: Markers) -> str:
    def one(match):
        name = match.group(1)
        return str(m.first(PATH_PARAMETERS[name])) if name in PATH_PARAMETERS else STRING_PARAMETERS[name]
    return re.sub(r"\{(\w+)(?::\w+)?\}", one, path)


async def test_bank_a_staff_get_404_for_bank_b_pages_and_see_no_b_marker_on_lists(client, demo, vault, settings):
    m = await two_banks(vault, settings)
    leaks = []
    for who in BANK_A_ROLES:
        client.cookies.clear()
        await login(client, who)
        for path, params in _get_routes():
            if path in GET_NOT_BANK_DATA:
                continue
            if params:
                url = _fill(path, m)
                response = await client.get(url)
                if response.status_code != 404 or m.found_in(response.text):
                    leaks.append((who, url, response.status_code, m.found_in(response.text)[:3]))
            elif path not in ("/logout", "/login/face/logout"):
                response = await client.get(path)
                if m.found_in(response.text):
                    leaks.append((who, path, response.status_code, m.found_in(response.text)[:3]))
        for name in REPORT_CSVS:
            response = await client.get(f"/reports/{name}.csv")
            if m.found_in(response.text):
                leaks.append((who, name, response.status_code, m.found_in(response.text)[:3]))
    assert leaks == [], "\n".join(map(str, leaks))


async def test_platform_staff_list_pages_show_both_banks(client, demo, vault, settings):
    m = await two_banks(vault, settings)
    a_customer = await Customer.filter(bank_id=(await Bank.get(code="14102301")).id, loans__id__not_isnull=True).first()
    for who in PLATFORM:
        client.cookies.clear()
        await login(client, who)
        page = await client.get("/loans")
        assert page.status_code == 200 and "乙行客户" in page.text and a_customer.name in page.text, who


# --- platform staff: both banks, read-only -----------------------------------------------------


def _post_route(path: str) -> Route | None:
    for route in routes:
        if isinstance(route, Route) and "POST" in (route.methods or set()) and route.path_regex.match(path):
            return route
    return None


async def test_platform_staff_pages_show_no_button_for_a_banks_business(client, demo, vault, settings):
    m = await two_banks(vault, settings)
    shown = []
    for who in PLATFORM:
        client.cookies.clear()
        await login(client, who)
        for path, params in _get_routes():
            if path in GET_NOT_BANK_DATA:
                continue
            response = await client.get(_fill(path, m.bank_a) if params else path)
            for target in re.findall(r'(?:<form[^>]*\saction|hx-post)="([^"]+)"', response.text):
                route = _post_route(target.split("?")[0])
                action = ROUTE_ACTIONS.get(route.name) if route else None
                if route is not None and (action is None or not allows_platform_staff(action)):
                    shown.append((who, path, route.name))
    assert sorted(set(shown)) == []


def _any_value(t):
    named = _named(t)
    if isinstance(named, GraphQLInputObjectType):
        return {f: _any_value(ft.type) for f, ft in named.fields.items() if _required(ft)}
    if isinstance(named, GraphQLEnumType):
        return list(named.values)[0]
    if isinstance(_named(t), GraphQLScalarType) and named.name == "ID":
        return str(GlobalID("X", str(uuid.uuid4())))
    return {"Decimal": "1000.00", "Int": 12, "Date": TODAY.isoformat(), "String": "x", "Boolean": False,
            "UUID": str(uuid.uuid4()), "DateTime": "2026-11-27T02:00:00Z", "JSON": {}}.get(named.name, "x")


def _mutation_document(name: str) -> tuple[str, dict]:
    f = schema._schema.mutation_type.fields[name]
    args = {a: arg for a, arg in f.args.items() if _required(arg)}
    header = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
    call = ", ".join(f"{a}: ${a}" for a in args)
    document = f"mutation{f'({header})' if header else ''} {{ {name}{f'({call})' if call else ''} {_selection(f.type, 1)} }}"
    return document, {a: _any_value(arg.type) for a, arg in args.items()}


async def test_platform_staff_are_refused_every_banks_business_by_post_and_mutation(client, demo, vault, settings):
    m = await two_banks(vault, settings)
    allowed = []
    for who in PLATFORM:
        client.cookies.clear()
        await login(client, who)
        token = await csrf_token(client)
        for route in routes:
            if not isinstance(route, Route) or "POST" not in (route.methods or set()):
                continue
            action = ROUTE_ACTIONS.get(route.name)
            if route.name == "vote_link" or (action is not None and allows_platform_staff(action)):
                continue  # a villager's link (the token decides, not a login); their own session, the platform's rule sets
            url = _fill(route.path, m.bank_a) if route.param_convertors else route.path
            response = await client.post(url, data={"csrf_token": token})
            if response.status_code != 403:
                allowed.append((who, route.name, response.status_code))
        client.cookies.clear()  # a bearer token, as the GraphQL clients sign in
        headers = await officer_headers(who)
        for name, action in MUTATION_ACTIONS.items():
            if allows_platform_staff(action):
                continue
            body, _ = await _ask(client, headers, *_mutation_document(name))
            codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
            if not codes & {"FORBIDDEN", "UNAUTHENTICATED"}:  # the policy's refusal, or a borrower-only field's
                allowed.append((who, name, body))
    assert allowed == [], "\n".join(map(str, allowed))

"""The visit's file: stored JSON in, typed parts out, the same JSON back (also for rows older than some keys)."""

import copy
from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from app.domain.visit_file import Decision, Person, Signature, VisitFile

IDS = [str(UUID(int=n)) for n in range(1, 40)]

# What the visit services store for a visit signed by both customers after an approver's grant (every key each step writes).
SIGNED = {
    "location": {"lat": 35.8765, "lng": 111.4421, "accuracyM": 15, "source": "device", "distanceM": 12, "far": False},
    "borrower": {
        "reads": {"front": IDS[0], "back": IDS[1]}, "confirmed": ["back", "front"], "name": "赵德胜",
        "identity": {"id": IDS[2], "result": "match", "reason": "一致", "withPortrait": True},
        "face": {"id": IDS[3], "distance": 0.03, "threshold": 0.07, "at": "2026-11-27T02:00:00+00:00"},
    },
    "co_borrower": {
        "reads": {"front": IDS[4], "back": IDS[5]}, "confirmed": ["back", "front"], "name": "孙桂珍",
        "identity": {"id": IDS[6], "result": "match", "reason": "一致", "withPortrait": False},
        "face": {"id": IDS[7], "distance": 0.031, "threshold": 0.07, "at": None},
    },
    "faces": {"match:borrower": IDS[3], "match:co_borrower": IDS[7], "authorisation:borrower": IDS[8], "sign:borrower": IDS[9],
              "sign:co_borrower": IDS[10]},
    "photos": {"items": [{"document": IDS[11], "category": "house"}, {"document": IDS[12], "category": "household_register"}],
               "categories": ["house", "household_register"]},
    "authorisation": {"id": IDS[13], "document": IDS[14], "faceVerification": IDS[8], "validUntil": "2027-11-27"},
    "credit": {"decision": IDS[15], "outcome": "review", "rules": ["OVERDUE_RECENT", None]},
    "strategy": {"decision": IDS[16], "outcome": "pass", "rules": [], "limitFen": 8_000_000, "spreadBp": 100},
    "decision": {"route": "approver", "why": "risk_review", "amountFen": 8_000_000, "key": "k-1", "incomeFen": None, "line": IDS[17],
                 "approver": IDS[18], "strategy": {"decision": IDS[16], "outcome": "pass", "rules": [], "limitFen": 8_000_000, "spreadBp": 100}},
    "signing": {
        "contract": IDS[19],
        "borrower": {"signature": IDS[20], "faceVerification": IDS[9], "at": "2026-11-27T02:05:00.123456+00:00", "lat": 35.8766, "lng": 111.442},
        "co_borrower": {"signature": IDS[21], "faceVerification": IDS[10], "at": "2026-11-27T02:06:00+00:00", "lat": 35.8766, "lng": 111.442},
        "sealed": IDS[22],
    },
}

# A visit stopped by the officer: manual location far from the village, co-borrower skipped (no spouse on file), one photo so far.
ABANDONED = {
    "location": {"lat": 35.9765, "lng": 111.4421, "accuracyM": None, "source": "manual", "distanceM": 11_120, "far": True,
                 "warning": "当前位置距西街村中心约 11.1 公里，超过 5.0 公里"},
    "co_borrower": {"skipped": True, "reason": "本户档案中没有借款人的配偶，无需共同借款人", "auto": True},
    "borrower": {"reads": {"front": IDS[0]}},
    "photos": {"items": [{"document": IDS[11], "category": "house"}]},
    "abandoned": {"reason": "客户外出", "at": "2026-11-27T03:00:00+00:00"},
}

# Declined by an approver; the co-borrower skipped by the officer (no "auto"); identity mismatch kept on the borrower.
DECLINED = {
    "location": {"lat": 35.8765, "lng": 111.4421, "accuracyM": 15, "source": "device", "distanceM": None, "far": False},
    "borrower": {"reads": {"front": IDS[0], "back": IDS[1]}, "confirmed": ["back", "front"], "name": "赵德胜",
                 "identity": {"id": IDS[2], "result": "mismatch", "reason": "姓名与号码不一致", "withPortrait": True}},
    "co_borrower": {"skipped": True, "reason": "配偶在外务工"},
    "decision": {"route": "declined", "why": "above_authority", "amountFen": 20_000_000, "key": "", "incomeFen": 3_000_000,
                 "strategy": {"decision": IDS[16], "outcome": "review", "rules": ["GREY_LIST"], "limitFen": 0, "spreadBp": 0},
                 "reason": "收入不足"},
}

# Rows written before the strategy and the income were part of the decision (no "strategy" part, no incomeFen/strategy in it).
OLDER_GRANTED = {
    "location": {"lat": 35.8765, "lng": 111.4421, "accuracyM": 15, "source": "device", "distanceM": 12, "far": False},
    "decision": {"route": "officer", "amountFen": 8_000_000, "line": IDS[17], "key": "k-2"},
}
OLDER_WAITING = {"decision": {"route": "approval", "amountFen": 20_000_000, "why": "above_authority", "key": ""}}


@pytest.mark.parametrize("stored", [SIGNED, ABANDONED, DECLINED, OLDER_GRANTED, OLDER_WAITING, {}], ids=lambda d: ",".join(sorted(d)) or "empty")
def test_stored_files_read_back_key_for_key(stored):
    kept = copy.deepcopy(stored)
    assert VisitFile.from_json(stored).to_json() == stored
    assert stored == kept  # reading does not touch the row's JSON


def test_the_parts_are_typed():
    file = VisitFile.from_json(SIGNED)
    assert file.location.accuracy_m == 15 and file.location.warning is None
    assert file.borrower.reads["front"] == UUID(IDS[0]) and file.borrower.confirmed == ("back", "front") and file.person("co_borrower").name == "孙桂珍"
    assert file.borrower.identity.with_portrait is True and file.borrower.face.at == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    assert file.face_id("sign", "co_borrower") == UUID(IDS[10]) and file.face_id("sign", "nobody") is None
    assert [p.category for p in file.photos.items] == ["house", "household_register"] and file.photos.items[0].document == UUID(IDS[11])
    assert file.authorisation.valid_until == date(2027, 11, 27)
    assert file.credit.rules == ("OVERDUE_RECENT", None) and file.strategy.limit_fen == 8_000_000
    assert file.decision.route == "approver" and file.decision.approver == UUID(IDS[18]) and file.decision.strategy == file.strategy
    assert file.signing.borrower.at.microsecond == 123456 and file.signing.sealed == UUID(IDS[22])
    assert VisitFile.from_json(ABANDONED).abandoned.reason == "客户外出" and VisitFile.from_json(ABANDONED).co_borrower.auto is True


def test_older_rows_missing_newer_keys_load():
    older = VisitFile.from_json(OLDER_GRANTED)
    assert older.strategy is None and older.decision.strategy is None and older.decision.income_fen is None
    assert older.decision.income_asked is False and older.decision.line == UUID(IDS[17])
    # a row missing whole parts or keys inside them: empty parts, None results
    sparse = VisitFile.from_json({"borrower": {"reads": {"front": IDS[0]}}, "photos": {}, "signing": {"contract": IDS[19]}})
    assert sparse.borrower.confirmed == () and sparse.borrower.identity is None and sparse.co_borrower == Person()
    assert sparse.photos.items == () and sparse.photos.categories is None and sparse.location is None and sparse.decision is None
    assert sparse.signing.borrower is None and sparse.faces == {}
    assert VisitFile.from_json(None) == VisitFile() and VisitFile().to_json() == {}


def test_an_older_decision_keeps_its_shape_when_an_approver_adds_to_it():
    waiting = VisitFile.from_json(OLDER_WAITING).decision
    approved = replace(waiting, route="approver", line=UUID(IDS[17]), approver=UUID(IDS[18]))
    assert approved.to_json() == {"route": "approver", "amountFen": 20_000_000, "why": "above_authority", "key": "", "line": IDS[17], "approver": IDS[18]}
    asked = Decision(route="approval", amount_fen=1, key="", income_fen=None)
    assert asked.to_json() == {"route": "approval", "amountFen": 1, "key": "", "incomeFen": None}  # asked, left empty: stored as null


def test_changes_make_new_files():
    file = VisitFile.from_json(ABANDONED)
    changed = file.with_person("borrower", file.borrower.with_read("back", UUID(IDS[1])).with_confirmed("front")).with_face("match", "borrower", UUID(IDS[3]))
    assert changed.to_json()["borrower"] == {"reads": {"front": IDS[0], "back": IDS[1]}, "confirmed": ["front"]}
    assert changed.to_json()["faces"] == {"match:borrower": IDS[3]} and "faces" not in file.to_json()
    signed = changed.signing.with_signature("co_borrower", Signature(signature=UUID(IDS[21]), face_verification=UUID(IDS[10]),
                                                                     at=datetime(2026, 11, 27, 2, 6, tzinfo=UTC), lat=None, lng=None))
    assert signed.to_json() == {"co_borrower": {"signature": IDS[21], "faceVerification": IDS[10], "at": "2026-11-27T02:06:00+00:00", "lat": None, "lng": None}}
    assert file.photos.with_photo(UUID(IDS[12]), "land").finished().categories == ("house", "land")
    with pytest.raises(ValueError):
        file.person("neighbour")

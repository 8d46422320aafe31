"""The visit's file (走访档案): what each step recorded, typed, behind the `Visit.data` JSON column.

The column stays JSON (no migration). `VisitFile.from_json` reads what any version of the visit
services stored — a key an older row lacks loads as its empty value — and `to_json` writes it
back key for key, so a file read and written unchanged is the same JSON. Record ids are UUIDs,
times timezone-aware datetimes, amounts integer fen. Nothing personal is kept here (no ID
number, no phone): the records the ids point to hold those.

Parts that grow over several calls (a person's card and checks, the face checks, the photos,
the signing) are empty until then; one-shot results (location, authorisation, credit check,
strategy, decision, abandonment) are None until their step records them. The JSON keys are the
stored ones (camelCase where the services wrote camelCase).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from app.domain.visit import BORROWER, CO_BORROWER, WHO_LABELS

Json = dict[str, Any]


def _uuid(value: object) -> UUID | None:
    return UUID(str(value)) if value else None


def _text(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


def _when(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _part(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, Mapping) else {}


def _without_none(values: Json, *, keep: tuple[str, ...] = ()) -> Json:
    """The JSON object without the keys whose value is None, except those stored even when null (`keep`)."""
    return {k: v for k, v in values.items() if v is not None or k in keep}


# --- the location ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Location:
    """Where the visit started: the fix, its source, the distance from the village centroid and the warning when far."""

    lat: float
    lng: float
    accuracy_m: int | None = None
    source: str = "device"  # device (browser geolocation) / manual
    distance_m: int | None = None  # None: the village has no centroid
    far: bool = False
    warning: str | None = None  # only when far

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Location:
        return cls(lat=raw.get("lat"), lng=raw.get("lng"), accuracy_m=raw.get("accuracyM"), source=raw.get("source", "device"),
                   distance_m=raw.get("distanceM"), far=bool(raw.get("far", False)), warning=raw.get("warning"))

    def to_json(self) -> Json:
        return _without_none({"lat": self.lat, "lng": self.lng, "accuracyM": self.accuracy_m, "source": self.source,
                              "distanceM": self.distance_m, "far": self.far, "warning": self.warning},
                             keep=("lat", "lng", "accuracyM", "distanceM"))


# --- the people: card, identity check, face match ----------------------------------------------


@dataclass(frozen=True, slots=True)
class IdentityResult:
    """The last online identity check (联网核查) of the person: its record and outcome."""

    id: UUID
    result: str  # match / mismatch / timeout / failed
    reason: str
    with_portrait: bool = False

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> IdentityResult:
        return cls(id=_uuid(raw.get("id")), result=raw.get("result", ""), reason=raw.get("reason", ""), with_portrait=bool(raw.get("withPortrait", False)))

    def to_json(self) -> Json:
        return {"id": _text(self.id), "result": self.result, "reason": self.reason, "withPortrait": self.with_portrait}


@dataclass(frozen=True, slots=True)
class FaceMatch:
    """The passed live face match that finished the person's face step."""

    id: UUID
    distance: float | None
    threshold: float
    at: datetime | None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FaceMatch:
        return cls(id=_uuid(raw.get("id")), distance=raw.get("distance"), threshold=raw.get("threshold"), at=_when(raw.get("at")))

    def to_json(self) -> Json:
        return {"id": _text(self.id), "distance": self.distance, "threshold": self.threshold, "at": self.at.isoformat() if self.at else None}


@dataclass(frozen=True, slots=True)
class Person:
    """The borrower or the co-borrower: card photos (side -> read id), confirmed sides, name, checks; or why skipped."""

    reads: Mapping[str, UUID] = field(default_factory=dict)
    confirmed: tuple[str, ...] = ()  # sorted sides: back, front
    name: str | None = None  # the customer's name, once the front is confirmed
    identity: IdentityResult | None = None
    face: FaceMatch | None = None
    skipped: bool = False  # the co-borrower only: the visit goes on without them
    reason: str | None = None  # why skipped
    auto: bool = False  # skipped by the flow itself: no spouse on file

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Person:
        identity, face = _part(raw, "identity"), _part(raw, "face")
        return cls(
            reads={side: _uuid(read) for side, read in _part(raw, "reads").items()}, confirmed=tuple(raw.get("confirmed") or ()),
            name=raw.get("name"), identity=IdentityResult.from_json(identity) if identity else None,
            face=FaceMatch.from_json(face) if face else None, skipped=bool(raw.get("skipped", False)), reason=raw.get("reason"),
            auto=bool(raw.get("auto", False)),
        )

    def to_json(self) -> Json:
        return _without_none({
            "reads": {side: str(read) for side, read in self.reads.items()} or None, "confirmed": list(self.confirmed) or None,
            "name": self.name, "identity": self.identity.to_json() if self.identity else None, "face": self.face.to_json() if self.face else None,
            "skipped": self.skipped or None, "reason": self.reason, "auto": self.auto or None,
        })

    def with_read(self, side: str, read_id: UUID) -> Person:
        """A new photo of one side (it replaces an unconfirmed one)."""
        return replace(self, reads={**self.reads, side: read_id})

    def with_confirmed(self, side: str) -> Person:
        return replace(self, confirmed=tuple(sorted({*self.confirmed, side})))


# --- photos ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Photo:
    document: UUID
    category: str  # a key of app.domain.visit.PHOTO_CATEGORIES


@dataclass(frozen=True, slots=True)
class Photos:
    """The document and asset photos, in the order taken; the categories are written when the step is finished."""

    items: tuple[Photo, ...] = ()
    categories: tuple[str, ...] | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Photos:
        items = tuple(Photo(document=_uuid(i.get("document")), category=i.get("category", "")) for i in raw.get("items") or ())
        categories = raw.get("categories")
        return cls(items=items, categories=tuple(categories) if categories is not None else None)

    def to_json(self) -> Json:
        return _without_none({
            "items": [{"document": str(p.document), "category": p.category} for p in self.items] or None,
            "categories": list(self.categories) if self.categories is not None else None,
        })

    def with_photo(self, document: UUID, category: str) -> Photos:
        return replace(self, items=(*self.items, Photo(document=document, category=category)))

    def finished(self) -> Photos:
        return replace(self, categories=tuple(sorted({p.category for p in self.items})))


# --- authorisation, credit check, strategy -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Authorisation:
    """The signed credit-report authorisation (征信查询授权书): its record, the sheet, the face check, until when it is valid."""

    id: UUID
    document: UUID
    face_verification: UUID
    valid_until: date

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Authorisation:
        until = raw.get("validUntil")
        return cls(id=_uuid(raw.get("id")), document=_uuid(raw.get("document")), face_verification=_uuid(raw.get("faceVerification")),
                   valid_until=date.fromisoformat(until) if until else None)

    def to_json(self) -> Json:
        return {"id": _text(self.id), "document": _text(self.document), "faceVerification": _text(self.face_verification),
                "validUntil": self.valid_until.isoformat() if self.valid_until else None}


@dataclass(frozen=True, slots=True)
class CreditCheck:
    """The report's rules at the credit-check step: the risk decision, its outcome and the codes of the rules hit."""

    decision: UUID
    outcome: str  # pass / review / reject
    rules: tuple[str | None, ...] = ()

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> CreditCheck:
        return cls(decision=_uuid(raw.get("decision")), outcome=raw.get("outcome", ""), rules=tuple(raw.get("rules") or ()))

    def to_json(self) -> Json:
        return {"decision": _text(self.decision), "outcome": self.outcome, "rules": list(self.rules)}


@dataclass(frozen=True, slots=True)
class StrategyResult:
    """One evaluation of the strategy (admission, anti-fraud, limit, pricing) for the visit."""

    decision: UUID
    outcome: str  # pass / review / reject
    rules: tuple[str | None, ...] = ()
    limit_fen: int | None = None
    spread_bp: int | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> StrategyResult:
        return cls(decision=_uuid(raw.get("decision")), outcome=raw.get("outcome", ""), rules=tuple(raw.get("rules") or ()),
                   limit_fen=raw.get("limitFen"), spread_bp=raw.get("spreadBp"))

    def to_json(self) -> Json:
        return {"decision": _text(self.decision), "outcome": self.outcome, "rules": list(self.rules), "limitFen": self.limit_fen,
                "spreadBp": self.spread_bp}


# --- decision ----------------------------------------------------------------------------------

ROUTE_OFFICER = "officer"  # granted by the officer within their authority
ROUTE_APPROVAL = "approval"  # sent to an approver's queue
ROUTE_APPROVER = "approver"  # granted by an approver
ROUTE_DECLINED = "declined"  # declined by an approver


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision step and what followed it: who granted (or why it waits, or why declined), the amount and the strategy."""

    route: str
    amount_fen: int | None = None
    key: str | None = None  # the decision form's idempotency key
    income_fen: int | None = None  # the household's annual income the officer entered (None: not entered)
    income_asked: bool = True  # False for decisions taken before the form asked for the income (their rows have no incomeFen)
    strategy: StrategyResult | None = None
    why: str | None = None  # approval: risk_review / above_authority
    line: UUID | None = None  # the granted credit line
    approver: UUID | None = None
    reason: str | None = None  # declined

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Decision:
        strategy = _part(raw, "strategy")
        return cls(
            route=raw.get("route", ""), amount_fen=raw.get("amountFen"), key=raw.get("key"), income_fen=raw.get("incomeFen"),
            income_asked="incomeFen" in raw, strategy=StrategyResult.from_json(strategy) if strategy else None, why=raw.get("why"),
            line=_uuid(raw.get("line")), approver=_uuid(raw.get("approver")), reason=raw.get("reason"),
        )

    def to_json(self) -> Json:
        return _without_none({
            "route": self.route, "why": self.why, "line": _text(self.line), "amountFen": self.amount_fen, "key": self.key,
            "incomeFen": self.income_fen, "strategy": self.strategy.to_json() if self.strategy else None, "approver": _text(self.approver),
            "reason": self.reason,
        }, keep=("incomeFen",) if self.income_asked else ())


# --- signing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signature:
    """One customer's signature at the visit: the record, the face check for it, when and where."""

    signature: UUID
    face_verification: UUID
    at: datetime
    lat: float | None = None
    lng: float | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Signature:
        return cls(signature=_uuid(raw.get("signature")), face_verification=_uuid(raw.get("faceVerification")), at=_when(raw.get("at")),
                   lat=raw.get("lat"), lng=raw.get("lng"))

    def to_json(self) -> Json:
        return {"signature": _text(self.signature), "faceVerification": _text(self.face_verification),
                "at": self.at.isoformat() if self.at else None, "lat": self.lat, "lng": self.lng}


@dataclass(frozen=True, slots=True)
class Signing:
    """The signing step: the contract, each customer's signature, the sealed document."""

    contract: UUID | None = None
    borrower: Signature | None = None
    co_borrower: Signature | None = None
    sealed: UUID | None = None  # the sealed contract's document

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Signing:
        borrower, co = _part(raw, BORROWER), _part(raw, CO_BORROWER)
        return cls(contract=_uuid(raw.get("contract")), borrower=Signature.from_json(borrower) if borrower else None,
                   co_borrower=Signature.from_json(co) if co else None, sealed=_uuid(raw.get("sealed")))

    def to_json(self) -> Json:
        return _without_none({
            "contract": _text(self.contract), BORROWER: self.borrower.to_json() if self.borrower else None,
            CO_BORROWER: self.co_borrower.to_json() if self.co_borrower else None, "sealed": _text(self.sealed),
        })

    def signature_of(self, who: str) -> Signature | None:
        return getattr(self, _person_key(who))

    def with_signature(self, who: str, signature: Signature) -> Signing:
        return replace(self, **{_person_key(who): signature})


@dataclass(frozen=True, slots=True)
class Abandoned:
    reason: str
    at: datetime

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Abandoned:
        return cls(reason=raw.get("reason", ""), at=_when(raw.get("at")))

    def to_json(self) -> Json:
        return {"reason": self.reason, "at": self.at.isoformat() if self.at else None}


# --- the file ----------------------------------------------------------------------------------


def _person_key(who: str) -> str:
    if who not in WHO_LABELS:
        raise ValueError(f"unknown person in a visit: {who}")
    return who


def face_key(stage: str, who: str) -> str:
    """The face checks are kept per stage (match / authorisation / sign) and person: "stage:who"."""
    return f"{stage}:{who}"


def _optional(part: Any, load: Any) -> Any:
    return load(part) if part else None


@dataclass(frozen=True, slots=True)
class VisitFile:
    """Everything the visit's steps recorded (`Visit.data`), one typed part per step."""

    location: Location | None = None
    borrower: Person = field(default_factory=Person)
    co_borrower: Person = field(default_factory=Person)
    faces: Mapping[str, UUID] = field(default_factory=dict)  # face_key(stage, who) -> the stage's latest face verification
    photos: Photos = field(default_factory=Photos)
    authorisation: Authorisation | None = None
    credit: CreditCheck | None = None
    strategy: StrategyResult | None = None  # the visit's current strategy decision
    decision: Decision | None = None
    signing: Signing = field(default_factory=Signing)
    abandoned: Abandoned | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> VisitFile:
        raw = raw or {}
        return cls(
            location=_optional(_part(raw, "location"), Location.from_json), borrower=Person.from_json(_part(raw, BORROWER)),
            co_borrower=Person.from_json(_part(raw, CO_BORROWER)), faces={k: _uuid(v) for k, v in _part(raw, "faces").items()},
            photos=Photos.from_json(_part(raw, "photos")), authorisation=_optional(_part(raw, "authorisation"), Authorisation.from_json),
            credit=_optional(_part(raw, "credit"), CreditCheck.from_json), strategy=_optional(_part(raw, "strategy"), StrategyResult.from_json),
            decision=_optional(_part(raw, "decision"), Decision.from_json), signing=Signing.from_json(_part(raw, "signing")),
            abandoned=_optional(_part(raw, "abandoned"), Abandoned.from_json),
        )

    def to_json(self) -> Json:
        parts = {
            "location": self.location, BORROWER: self.borrower, CO_BORROWER: self.co_borrower, "photos": self.photos,
            "authorisation": self.authorisation, "credit": self.credit, "strategy": self.strategy, "decision": self.decision,
            "signing": self.signing, "abandoned": self.abandoned,
        }
        out = {key: part.to_json() for key, part in parts.items() if part is not None}
        if self.faces:
            out["faces"] = {key: str(value) for key, value in self.faces.items()}
        return {key: value for key, value in out.items() if value}

    def person(self, who: str) -> Person:
        return getattr(self, _person_key(who))

    def with_person(self, who: str, person: Person) -> VisitFile:
        return replace(self, **{_person_key(who): person})

    def face_id(self, stage: str, who: str) -> UUID | None:
        """The latest face verification started for this stage and person."""
        return self.faces.get(face_key(stage, who))

    def with_face(self, stage: str, who: str, verification_id: UUID) -> VisitFile:
        return replace(self, faces={**self.faces, face_key(stage, who): verification_id})

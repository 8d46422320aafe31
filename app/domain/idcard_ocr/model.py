"""Result types of an ID-card reading, and the messages shown for flagged fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.error_codes import IdentityCode
from app.domain.errors import DomainError

Point = tuple[float, float]

DEFAULT_THRESHOLD = 0.85
FRONT_KEYS = ("name", "sex", "ethnicity", "birth_date", "address", "id_number")
BACK_KEYS = ("issuing_authority", "valid_from", "valid_until")
LONG_TERM = "长期"
SIDE_LABELS = {"front": "正面（人像面）", "back": "背面（国徽面）"}
SIDE_NAMES = {"front": "正面", "back": "背面"}  # short, inside a sentence: "确认身份证正面"

FIELD_LABELS = {
    "name": "姓名", "sex": "性别", "ethnicity": "民族", "birth_date": "出生日期", "address": "住址",
    "id_number": "公民身份号码", "issuing_authority": "签发机关", "valid_from": "签发日期", "valid_until": "有效期至",
}

# flag -> warning template ({label} = field label, {value} = extra detail)
FLAG_MESSAGES = {
    "unreadable": "{label}无法识别，请人工录入",
    "low_confidence": "{label}识别置信度低，请核对",
    "label_missing": "{label}的标签未识别，已按位置读取，请核对",
    "from_number": "{label}印刷内容无法识别，已按身份证号码填写，请核对",
    "mismatch_number": "{label}印刷内容（{value}）与身份证号码不一致，已按号码填写，请核对",
    "invalid_checksum": "公民身份号码校验未通过（{value}），请核对号码",
    "unknown_ethnicity": "民族“{value}”不在民族名称表中，请核对",
    "corrected": "{label}{value}，请核对",
    "expired": "证件已于{value}过期",
    "not_yet_valid": "签发日期{value}晚于业务日期，请核对",
    "validity_length": "有效期限长度不符合规定（应为5年、10年、20年或长期），请核对",
    "validity_age": "有效期限与签发时的年龄不符（{value}），请核对",
    "implausible": "{label}内容不合常理，请核对",
}
# flag -> the short tag shown beside a field
FLAG_LABELS = {
    "unreadable": "无法识别", "low_confidence": "置信度低", "label_missing": "标签未识别", "from_number": "按号码填写",
    "mismatch_number": "与号码不一致", "invalid_checksum": "校验未通过", "unknown_ethnicity": "不在民族名录",
    "corrected": "已自动更正", "expired": "证件已过期", "not_yet_valid": "签发日期晚于业务日期",
    "validity_length": "有效期长度异常", "validity_age": "有效期与年龄不符", "implausible": "内容不合常理",
}


class NotIdCard(DomainError):
    code = IdentityCode.NOT_ID_CARD


@dataclass(frozen=True, slots=True)
class FieldReading:
    value: str | None
    confidence: float
    flags: tuple[str, ...] = ()

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.flags)


@dataclass(slots=True)
class IdCardReading:
    side: str  # "front" / "back"
    fields: dict[str, FieldReading]
    warnings: list[str] = field(default_factory=list)
    id_number_valid: bool | None = None  # front only
    portrait_quad: list[Point] | None = None  # front only: image points TL, TR, BR, BL
    # Windows (image points) where a value should be but no text was detected: the caller may
    # recognise them without detection, add the lines and parse again (workers/engines/ocr.py does).
    reread_regions: dict[str, list[Point]] = field(default_factory=dict)

    @property
    def needs_confirmation(self) -> list[str]:
        """Field keys the officer must confirm (low confidence, inconsistent, unreadable)."""
        return [k for k, f in self.fields.items() if f.needs_confirmation]

    def value(self, key: str) -> str | None:
        return self.fields[key].value

    def to_json(self) -> dict:
        """The CLI / tool shape: values only, plus warnings. Other tools depend on these keys."""
        out: dict = {"side": self.side}
        for key in FRONT_KEYS if self.side == "front" else BACK_KEYS:
            out[key] = self.fields[key].value
        if self.side == "front":
            out["id_number_valid"] = bool(self.id_number_valid)
        out["warnings"] = list(self.warnings)
        return out

    def to_detail(self) -> dict:
        """Everything, for the record the officer confirms: confidence and flags per field."""
        return {
            "side": self.side,
            "fields": {k: {"value": f.value, "confidence": round(f.confidence, 4), "flags": list(f.flags)}
                       for k, f in self.fields.items()},
            "id_number_valid": self.id_number_valid,
            "needs_confirmation": self.needs_confirmation,
            "warnings": list(self.warnings),
        }


class FieldBuilder:
    """Collects fields, their flags and the matching warnings, in a stable order."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.fields: dict[str, FieldReading] = {}
        self.warnings: list[str] = []

    def put(self, key: str, value: str | None, confidence: float, *flags: str) -> None:
        if value is None:
            flags = ("unreadable", *flags)
            confidence = 0.0
        elif confidence < self.threshold:
            flags = (*flags, "low_confidence")
        self.fields[key] = FieldReading(value, confidence, tuple(dict.fromkeys(flags)))

    def flag(self, key: str, flag: str, detail: str = "") -> None:
        f = self.fields[key]
        if flag not in f.flags:
            self.fields[key] = FieldReading(f.value, f.confidence, (*f.flags, flag))
        self.warn(key, flag, detail)

    def warn(self, key: str, flag: str, detail: str = "") -> None:
        message = FLAG_MESSAGES[flag].format(label=FIELD_LABELS[key], value=detail)
        if message not in self.warnings:
            self.warnings.append(message)

    def finish(self) -> None:
        """Warnings for the flags set through `put` (confidence, unreadable, label position)."""
        for key, f in self.fields.items():
            for flag in ("unreadable", "label_missing", "low_confidence"):
                if flag in f.flags:
                    self.warn(key, flag, f.value or "")
                    break

"""The back (国徽面): 签发机关 and 有效期限, with expiry and validity-length checks."""

from __future__ import annotations

import re
from datetime import date

from app.domain import idcard
from app.domain.idcard_ocr.layout import Layout, Value, find_labelled_values
from app.domain.idcard_ocr.model import LONG_TERM, FieldBuilder, IdCardReading

LABELS = {
    "authority": ("签发机关", "签发机", "发机关"),
    "validity": ("有效期限", "有效期", "效期限"),
}
TITLES = ("中华人民共和国", "居民身份证")
VALID_YEARS = (5, 10, 20)

_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "~": "-", "至": "-", "一": "-", "_": "-"})
_DATE = r"(\d{4})\D?(\d{2})\D?(\d{2})"
_RANGE = re.compile(_DATE + r"-*(长期|长.|.期|" + _DATE + ")")
ROW_ORDER = ("authority", "validity")


def _find(rows) -> dict[str, Value]:
    return find_labelled_values(rows, LABELS, fuzzy_keys=ROW_ORDER, order=ROW_ORDER, accept=_plausible)


def _plausible(key: str, text: str) -> bool:
    return bool(_RANGE.search(text.translate(_DASHES))) if key == "validity" else "公安" in text


def back_evidence(layout: Layout) -> int:
    """Labels and titles found (zero unless one of them is read exactly)."""
    exact = find_labelled_values(layout.rows, LABELS)
    text = "".join(r.text for r in layout.rows)
    titles = sum(1 for t in TITLES if t in text)
    if not exact and not titles:
        return 0
    return len(_find(layout.rows)) + titles


def read_back(layout: Layout, *, as_of: date, threshold: float, birth_date: date | None) -> IdCardReading:
    rows = layout.rows
    found = _find(rows)
    out = FieldBuilder(threshold)

    authority = _authority(found, rows)
    if authority is None:
        out.put("issuing_authority", None, 0.0)
    else:
        out.put("issuing_authority", authority[0], authority[1], *(("label_missing",) if authority[2] else ()))
        if "公安" not in authority[0]:
            out.flag("issuing_authority", "implausible")

    valid_from, valid_until, score = _validity(found, rows)
    out.put("valid_from", valid_from.isoformat() if valid_from else None, score)
    if isinstance(valid_until, date):
        out.put("valid_until", valid_until.isoformat(), score)
    else:
        out.put("valid_until", valid_until, score)
    if valid_from is not None and valid_until is not None:
        _check_validity(out, valid_from, valid_until, as_of, birth_date)
    out.finish()
    return IdCardReading("back", out.fields, out.warnings)


def _authority(found: dict[str, Value], rows) -> tuple[str, float, bool] | None:
    """(text, score, label_missing): the 签发机关 value, else the row above 有效期限."""
    if "authority" in found:
        text = re.sub(r"[^\u3400-\u9fff]", "", found["authority"].text)
        return (text, found["authority"].score, False) if text else None
    if "validity" in found and found["validity"].row > 0:
        row = rows[found["validity"].row - 1]
        text = re.sub(r"[^\u3400-\u9fff]", "", row.text)
        if text.endswith(("公安局", "分局")):
            return text, min(row.scores), True
    return None


def _validity(found: dict[str, Value], rows) -> tuple[date | None, date | str | None, float]:
    candidates = [found["validity"]] if "validity" in found else []
    candidates += [Value(r.text, min(r.scores), i, r.left) for i, r in enumerate(rows) if r.scores]
    for value in candidates:
        m = _RANGE.search(value.text.translate(_DASHES))
        if not m:
            continue
        start = _date(m[1], m[2], m[3])
        if start is None:
            continue
        if m[5] is not None:
            return start, _date(m[5], m[6], m[7]), value.score
        # "长期", or one character of it misread: long-term, then with a low score so it is confirmed
        score = value.score if m[4] == LONG_TERM else min(value.score, 0.5)
        return start, LONG_TERM, score
    return None, None, 0.0


def _date(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _check_validity(out: FieldBuilder, start: date, until: date | str, as_of: date, birth: date | None) -> None:
    if start > as_of:
        out.flag("valid_from", "not_yet_valid", start.isoformat())
    if isinstance(until, date):
        years = until.year - start.year
        allowed = {_add_years(start, years)}
        if (start.month, start.day) == (2, 29):
            allowed.add(date(until.year, 3, 1))
        if years not in VALID_YEARS or until not in allowed:
            out.flag("valid_until", "validity_length")
        if until < as_of:
            out.flag("valid_until", "expired", until.isoformat())
    if birth is not None:
        age = idcard.age_on(birth, start)
        expected = idcard.validity_years_for_age(age)
        actual = until.year - start.year if isinstance(until, date) else None
        if expected != actual:
            shown = f"签发时{age}岁，应为{expected}年" if expected else f"签发时{age}岁，应为长期"
            out.flag("valid_until", "validity_age", shown)

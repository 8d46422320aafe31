"""Reading a resident ID card from OCR text lines, by box geometry (pure: no image code).

Input: what the OCR engine returns, `[(box, text, score), ...]`, `box` = four (x, y) points
(top-left, top-right, bottom-right, bottom-left). Line order is ignored: boxes are deskewed
by the dominant text angle, grouped into rows, read left to right, and split by the labels
(姓名 性别 民族 出生 住址 公民身份号码 / 签发机关 有效期限); the address continues on the
following rows, right of the label column.

Each field carries a confidence (lowest OCR score of its characters) and flags; a flagged
field needs the officer's confirmation (`IdCardReading.needs_confirmation`). Checks
(docs/domain-facts.md#resident-id-cards): GB 11643 check code; birth date and sex of the number against the print (the
number wins when its check code passes, and that is flagged); expiry against the business
date `as_of`; validity length (5/10/20 years or 长期) and, given the birth date, the length
against the age at issue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app.domain.idcard_ocr.back import LABELS as BACK_LABELS
from app.domain.idcard_ocr.back import back_evidence, read_back
from app.domain.idcard_ocr.front import LABELS as FRONT_LABELS
from app.domain.idcard_ocr.front import front_evidence, read_front
from app.domain.idcard_ocr.layout import OcrLine, build_layout
from app.domain.idcard_ocr.model import (
    BACK_KEYS,
    DEFAULT_THRESHOLD,
    FRONT_KEYS,
    LONG_TERM,
    FieldReading,
    IdCardReading,
    NotIdCard,
)

__all__ = [
    "BACK_KEYS", "DEFAULT_THRESHOLD", "FRONT_KEYS", "LONG_TERM", "FieldReading", "IdCardReading", "NotIdCard",
    "OcrLine", "read_id_card",
]

ALL_LABELS = tuple(sorted({s for spellings in (*FRONT_LABELS.values(), *BACK_LABELS.values()) for s in spellings},
                          key=len, reverse=True))
NOT_ID_CARD_MESSAGE = "未识别到身份证：请拍摄身份证正面或背面，保证四角完整、字迹清晰、没有反光"


def read_id_card(
    lines: Sequence[OcrLine] | None,
    *,
    as_of: date,
    threshold: float = DEFAULT_THRESHOLD,
    birth_date: date | None = None,
) -> IdCardReading:
    """Parse the OCR lines of one card face; raise NotIdCard when they are not one.

    `as_of` is the business date (expiry check); `threshold` the lowest OCR score accepted
    without confirmation; `birth_date` (read from the front) enables the back's age check.
    """
    layout = build_layout(list(lines or []), ALL_LABELS)
    front = front_evidence(layout)
    back = back_evidence(layout)
    if front >= 3 and front >= back:
        return read_front(layout, as_of=as_of, threshold=threshold)
    if back >= 2:
        return read_back(layout, as_of=as_of, threshold=threshold, birth_date=birth_date)
    raise NotIdCard(NOT_ID_CARD_MESSAGE)

"""OCR boxes -> rows of text by geometry, and labels found in those rows.

Boxes are turned by the dominant text angle (median top-edge angle, weighted by length)
so that rows are horizontal, then grouped by centre height. A row is read left to right;
where two boxes overlap, characters read twice (a label's last character repeated in the
value box, or a label box that runs into the value and reads its first character) are kept
once.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from app.domain.idcard_ocr.model import Point

OcrLine = tuple[Sequence[Sequence[float]], str, float]


@dataclass(slots=True)
class Box:
    text: str
    score: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(slots=True)
class Row:
    boxes: list[Box]
    text: str = ""
    scores: list[float] = field(default_factory=list)  # per character of `text`
    lefts: list[float] = field(default_factory=list)  # per character: left edge of its box
    owners: list[int] = field(default_factory=list)  # per character: index of its box in `boxes`

    @property
    def cy(self) -> float:
        return sum(b.cy for b in self.boxes) / len(self.boxes)

    @property
    def left(self) -> float:
        return min(b.left for b in self.boxes)

    @property
    def height(self) -> float:
        return sorted(b.height for b in self.boxes)[len(self.boxes) // 2]


@dataclass(slots=True)
class Layout:
    angle: float  # radians; image = rotate(layout, +angle)
    rows: list[Row]

    def to_image(self, p: Point) -> Point:
        return rotate(p, self.angle)


def normalise_text(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def rotate(p: Sequence[float], angle: float) -> Point:
    c, s = math.cos(angle), math.sin(angle)
    return (p[0] * c - p[1] * s, p[0] * s + p[1] * c)


def dominant_angle(lines: Sequence[OcrLine]) -> float:
    samples: list[tuple[float, float]] = []
    for box, _, _ in lines:
        (x0, y0), (x1, y1) = box[0][:2], box[1][:2]
        length = math.hypot(x1 - x0, y1 - y0)
        if length > 0:
            samples.append((math.atan2(y1 - y0, x1 - x0), length))
    if not samples:
        return 0.0
    samples.sort()
    half, acc = sum(w for _, w in samples) / 2, 0.0
    for angle, weight in samples:
        acc += weight
        if acc >= half:
            return angle
    return samples[-1][0]


def build_layout(lines: Sequence[OcrLine], labels: Sequence[str] = ()) -> Layout:
    """Rows of text; `labels` (all spellings) help to undo text read twice where boxes overlap."""
    angle = dominant_angle(lines)
    boxes = []
    for box, text, score in lines:
        text = normalise_text(str(text))
        if not text or len(box) != 4:
            continue
        pts = [rotate(p, -angle) for p in box]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        boxes.append(Box(text, float(score), min(xs), max(xs), min(ys), max(ys)))
    return Layout(angle, _group_rows(boxes, labels))


def _group_rows(boxes: list[Box], labels: Sequence[str]) -> list[Row]:
    rows: list[Row] = []
    for b in sorted(boxes, key=lambda b: b.cy):
        if rows:
            row = rows[-1]
            ref = min(b.height, row.height)
            if abs(b.cy - row.cy) < 0.5 * ref:
                row.boxes.append(b)
                continue
        rows.append(Row([b]))
    for row in rows:
        _join(row, labels)
    return rows


def _join(row: Row, labels: Sequence[str]) -> None:
    row.boxes.sort(key=lambda b: b.left)
    prev: Box | None = None
    appended = 0  # characters the previous box added to the row
    for n, b in enumerate(row.boxes):
        text = b.text
        if prev is not None and b.left < prev.right and not text.startswith(tuple(labels)):
            tail = _tail_after_label(prev.text, labels)
            if len(text) > 1 and prev.text.endswith(text[:1]):
                text = text[1:]  # the previous box's last character, read again at the start of this one
            elif 0 < tail < appended and tail <= 2:
                # a label box that runs into this value box: its last characters are this box's first,
                # read a second time (often differently); keep this box's reading
                row.text, row.scores = row.text[:-tail], row.scores[:-tail]
                row.lefts, row.owners = row.lefts[:-tail], row.owners[:-tail]
        row.text += text
        row.scores += [b.score] * len(text)
        row.lefts += [b.left] * len(text)
        row.owners += [n] * len(text)
        prev, appended = b, len(text)


def _tail_after_label(text: str, labels: Sequence[str]) -> int:
    """How many characters follow the last label in `text` (0 when it holds no label)."""
    ends = [text.rfind(label) + len(label) for label in labels if label in text]
    return len(text) - max(ends) if ends else 0


# ------------------------------------------------------------------ labels


@dataclass(slots=True)
class Value:
    text: str
    score: float
    row: int  # index of the row the label is on
    label_left: float  # left edge of the label's box (layout coordinates)
    fuzzy_label: bool = False
    label_box: Box | None = None  # the box holding the label's last character (exact labels)


# What OCR makes of the gap between a label and its value (no field value starts with these).
_SEPARATORS = frozenset(":：-—一_|丨.,，。、·'\"")


def span_score(row: Row, start: int, end: int) -> float:
    scores = row.scores[start:end]
    return min(scores) if scores else 0.0


def find_labelled_values(
    rows: list[Row],
    labels: dict[str, tuple[str, ...]],
    *,
    fuzzy_keys: Sequence[str] = (),
    order: Sequence[str] = (),
    accept: Callable[[str, str], bool] | None = None,
) -> dict[str, Value]:
    """The text after each label, up to the next label of the same row.

    Exact spellings first. Then, for `fuzzy_keys`, a label with a character misread or
    dropped is accepted at the start of a row (before any exact label on it) that starts at
    the label column (or, when no label was read exactly, gives a plausible value) and sits
    between its neighbours in `order`. Where it is unclear how many characters the damaged
    label took, `accept(key, value)` picks the plausible reading.
    """
    found: dict[str, Value] = {}
    unlabelled_head: dict[int, int] = {}  # row index -> length of the text before its first exact label
    for idx, row in enumerate(rows):
        hits: list[tuple[int, int, str]] = []
        for key, spellings in labels.items():
            if key in found:
                continue
            for spelling in spellings:
                i = row.text.find(spelling)
                if i >= 0:
                    hits.append((i, i + len(spelling), key))
                    break
        hits.sort()
        head = hits[0][0] if hits else len(row.text)
        if head >= 2:
            unlabelled_head[idx] = head
        for n, (start, end, key) in enumerate(hits):
            stop = hits[n + 1][0] if n + 1 < len(hits) else len(row.text)
            label_box = row.boxes[row.owners[end - 1]]
            end = _skip_separators(row.text, end, stop)
            found[key] = Value(row.text[end:stop], span_score(row, end, stop), idx, row.lefts[start],
                               label_box=label_box)
    column = label_column(found)
    for idx, head in unlabelled_head.items():
        row = rows[idx]
        if column is not None and abs(row.left - column) > row.height:
            continue
        text = row.text[:head]
        for key in fuzzy_keys:
            if key in found or not _in_order(key, idx, found, order):
                continue
            readings = []
            for consumed in fuzzy_label_lengths(text, labels[key][0]):
                end = _skip_separators(text, consumed, head)
                readings.append(Value(text[end:], span_score(row, end, head), idx, row.left, True))
            if readings:
                plausible = [v for v in readings if accept is None or accept(key, v.text)]
                if plausible or column is not None:  # without a label column, only a plausible value
                    found[key] = (plausible or readings)[0]
                    break
    return found


def fuzzy_label_lengths(text: str, label: str) -> list[int]:
    """How many leading characters of `text` may be a damaged `label`, most likely first.

    Candidates: the label with one character misread (at most one for a two-character label,
    two for a longer one), or with one character dropped.
    """
    scored: list[tuple[float, int]] = []
    variants = [label] + [label[:i] + label[i + 1:] for i in range(len(label))]
    for v in dict.fromkeys(variants):
        head = text[: len(v)]
        if len(head) < len(v) or len(v) == 0:
            continue
        matches = sum(a == b for a, b in zip(head, v, strict=True))
        if len(v) < len(label):
            need = len(v)  # a dropped character, the rest read right
        else:
            need = max(1, len(v) - (2 if len(v) >= 4 else 1))  # misread characters
        if matches >= need and matches < len(label):
            scored.append((matches / len(v), len(v)))
    scored.sort(key=lambda t: -t[0])
    return list(dict.fromkeys(n for _, n in scored))


def _skip_separators(text: str, i: int, stop: int) -> int:
    while i < stop and text[i] in _SEPARATORS:
        i += 1
    return i


def _in_order(key: str, idx: int, found: dict[str, Value], order: Sequence[str]) -> bool:
    """A fuzzy label row must sit below the labels before it in `order` and above those after."""
    if key not in order:
        return True
    pos = order.index(key)
    for other, value in found.items():
        if other not in order or value.fuzzy_label:
            continue
        if (order.index(other) < pos and value.row >= idx) or (order.index(other) > pos and value.row <= idx):
            return False
    return True


def label_column(found: dict[str, Value]) -> float | None:
    """Left edge of the label column: the median left of labels found."""
    lefts = sorted(v.label_left for v in found.values())
    return lefts[len(lefts) // 2] if lefts else None


def text_right_of(row: Row, x: float) -> tuple[str, float]:
    """Characters of `row` whose box starts at or right of `x`, with their lowest score."""
    idx = [i for i, left in enumerate(row.lefts) if left >= x]
    if not idx:
        return "", 0.0
    return "".join(row.text[i] for i in idx), min(row.scores[i] for i in idx)

"""The front (人像面): 姓名 性别 民族 出生 住址 公民身份号码, their checks, the portrait window."""

from __future__ import annotations

import re
from datetime import date

from app.domain import idcard
from app.domain.idcard_ocr.layout import (
    Layout,
    Row,
    Value,
    find_labelled_values,
    fuzzy_label_lengths,
    label_column,
    span_score,
    text_right_of,
)
from app.domain.idcard_ocr.model import FieldBuilder, IdCardReading, Point

LABELS = {
    "name": ("姓名",),
    "sex": ("性别",),
    "ethnicity": ("民族",),
    "birth": ("出生",),
    "address": ("住址",),
    "number": ("公民身份号码", "公民身份号", "民身份号码", "身份号码", "份号码", "公民身份", "公民"),
}
FUZZY_KEYS = ("name", "sex", "birth", "address")
ROW_ORDER = ("name", "sex", "birth", "address", "number")
# The most common surnames: used only to choose how many characters a damaged 姓名 label took.
COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

ETHNIC_GROUPS = frozenset(
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺".split()
)

# Misreadings of one-character ethnic group names seen with the PP-OCR models (and close
# shapes): corrected, and flagged for confirmation.
ETHNIC_LOOKALIKES = {
    "日": "白", "自": "白", "臼": "白", "葬": "彝", "彜": "彝", "汊": "汉", "仅": "汉", "洞": "侗", "桐": "侗",
    "蒲": "满", "瞒": "满", "壯": "壮", "庄": "壮", "徭": "瑶", "谣": "瑶", "苖": "苗", "描": "苗", "茵": "苗",
}

PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
    "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)

# Card geometry in mm (85.6 x 54 mm): row centres of the labels, the label column's left
# edge, and the portrait window with a margin (left, top, right, bottom).
ROW_MM = {"name": 9.0, "sex": 15.2, "birth": 22.4, "address": 28.7, "number": 47.5}
LABEL_LEFT_MM = 5.7
# Window right of a label where a short value is looked for again, in label-box heights.
REREAD_SPAN = {"sex": (0.2, 2.6), "ethnicity": (0.2, 5.0)}
PORTRAIT_MM = (54.5, 5.0, 82.0, 40.0)

_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "i": "1",
                                   "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "x": "X", "×": "X"})
_CJK = re.compile(r"[\u3400-\u9fff·]")
_NUMBER_RUN = re.compile(r"[0-9X]{15,}")
_BIRTH_WRITTEN = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日?")
_NAME_DOT = re.compile(r"(?<=[\u3400-\u9fff])[.•・･。]+(?=[\u3400-\u9fff])")  # 阿依古丽·买买提


def find_front_labels(rows: list[Row]) -> dict[str, Value]:
    """Labelled values, then the name and sex rows whose label was lost, by their position."""
    found = find_labelled_values(rows, LABELS, fuzzy_keys=FUZZY_KEYS, order=ROW_ORDER, accept=_plausible)
    if not found:
        return found
    labelled = {v.row for v in found.values()}
    if "sex" not in found:
        idx = found["birth"].row - 1 if "birth" in found else (found["name"].row + 1 if "name" in found else -1)
        if 0 <= idx < len(rows) and idx not in labelled and ("name" not in found or found["name"].row < idx):
            text = rows[idx].text
            at = next((i for i, ch in enumerate(text[:4]) if ch in ("男", "女")), None)
            if at is not None:
                found["sex"] = Value(text[at:], span_score(rows[idx], at, len(text)), idx, rows[idx].left, True)
                labelled.add(idx)
    if "name" not in found:
        idx = found["sex"].row - 1 if "sex" in found else (found["birth"].row - 2 if "birth" in found else -1)
        if 0 <= idx < len(rows) and idx not in labelled:
            row = rows[idx]
            for n in [*fuzzy_label_lengths(row.text, "姓名"), 0]:
                if _plausible("name", row.text[n:]):
                    found["name"] = Value(row.text[n:], span_score(row, n, len(row.text)), idx, row.left, True)
                    break
    return found


def front_evidence(layout: Layout) -> int:
    """How strongly the rows look like a front: labels found, plus one for a valid number.

    Zero unless two labels are read exactly, or one and a number with a valid check code
    (a page of text has neither).
    """
    found = find_front_labels(layout.rows)
    exact = sum(1 for v in found.values() if not v.fuzzy_label)
    number, _ = _number(layout.rows, found)
    valid_number = bool(number) and idcard.is_valid(number)
    if exact < 2 and not (exact == 1 and valid_number):
        return 0
    return len(found) + valid_number


def _plausible(key: str, text: str) -> bool:
    if key == "name":
        return len(text) >= 2 and (text[0] in COMMON_SURNAMES or text[:2] in ("欧阳", "司马", "诸葛", "上官", "皇甫"))
    if key == "sex":
        return text[:1] in ("男", "女")
    if key == "birth":
        return _parse_birth(text) is not None
    if key == "address":
        return text.startswith(PROVINCES)
    return True


def read_front(layout: Layout, *, as_of: date, threshold: float) -> IdCardReading:
    rows = layout.rows
    found = find_front_labels(rows)
    out = FieldBuilder(threshold)
    label_flag = lambda key: ("label_missing",) if found[key].fuzzy_label else ()  # noqa: E731

    # 姓名
    if "name" in found:
        name = "".join(_CJK.findall(_NAME_DOT.sub("·", found["name"].text)))
        out.put("name", name or None, found["name"].score, *label_flag("name"))
    else:
        out.put("name", None, 0.0)

    # 性别 / 民族 (one row; the ethnicity label may be misread: then the rest of the row)
    sex_text = found["sex"].text if "sex" in found else ""
    sex = sex_text[:1] if sex_text[:1] in ("男", "女") else None
    out.put("sex", sex, found["sex"].score if sex else 0.0, *(label_flag("sex") if sex else ()))
    eth_value = found.get("ethnicity") or _ethnicity_after_sex(found.get("sex"))
    _put_ethnicity(out, eth_value)

    # 出生
    birth = found.get("birth") or _unlabelled_birth(rows, found)
    printed_birth = _parse_birth(birth.text) if birth else None
    if birth and printed_birth:
        flags = ("label_missing",) if birth.fuzzy_label else ()
        out.put("birth_date", printed_birth.isoformat(), birth.score, *flags)
    else:
        out.put("birth_date", None, 0.0)

    # 住址
    address, addr_score = _address(rows, found)
    out.put("address", address or None, addr_score, *(label_flag("address") if address else ()))

    regions = reread_regions(layout, found)

    # 公民身份号码
    number, num_score = _number(rows, found)
    out.put("id_number", number, num_score)
    valid = _check_number(out, number)
    _check_against_number(out, number if valid else None, found, num_score, as_of)
    out.finish()
    return IdCardReading("front", out.fields, out.warnings, id_number_valid=valid,
                         portrait_quad=portrait_quad(layout, found), reread_regions=regions)


def reread_regions(layout: Layout, found: dict[str, Value]) -> dict[str, list[Point]]:
    """Where a short value should be but nothing was detected (a lone 男 or 白 is easy to miss).

    Only for labels read exactly with nothing after them on their row: the window right of
    the label box, in image coordinates (TL, TR, BR, BL).
    """
    regions = {}
    for key, (start, end) in REREAD_SPAN.items():
        value = found.get(key)
        if value is None or value.fuzzy_label or value.label_box is None or value.text:
            continue
        box = value.label_box
        h = box.height
        corners = [(box.right + start * h, box.top - 0.1 * h), (box.right + end * h, box.top - 0.1 * h),
                   (box.right + end * h, box.bottom + 0.1 * h), (box.right + start * h, box.bottom + 0.1 * h)]
        regions[key] = [layout.to_image(p) for p in corners]
    return regions


def _ethnicity_after_sex(sex: Value | None) -> Value | None:
    """When the 民族 label is damaged: what follows the sex on its row, minus the label."""
    if sex is None or len(sex.text) < 2:
        return None
    rest = sex.text[1:]
    readings = [rest[n:].removesuffix("族") for n in fuzzy_label_lengths(rest, "民族")]
    # a label misread beyond recognition: the end of the row, if it names an ethnic group
    readings += [rest[-n:] for n in (4, 3, 2, 1) if len(rest) > n and rest[-n:] in ETHNIC_GROUPS]
    if not readings:
        return None
    best = next((r for r in readings if r in ETHNIC_GROUPS), readings[0])
    return Value(best, sex.score, sex.row, sex.label_left, True)


def _put_ethnicity(out: FieldBuilder, value: Value | None) -> None:
    if value is None:
        out.put("ethnicity", None, 0.0)
        return
    text = "".join(_CJK.findall(value.text)).removesuffix("族")
    if not text:
        out.put("ethnicity", None, 0.0)
        return
    if text not in ETHNIC_GROUPS and ETHNIC_LOOKALIKES.get(text) is not None:
        out.put("ethnicity", ETHNIC_LOOKALIKES[text], value.score, *(("label_missing",) if value.fuzzy_label else ()))
        out.flag("ethnicity", "corrected", f"“{text}”按字形更正为“{ETHNIC_LOOKALIKES[text]}”")
        return
    out.put("ethnicity", text, value.score, *(("label_missing",) if value.fuzzy_label else ()))
    if text not in ETHNIC_GROUPS:
        out.flag("ethnicity", "unknown_ethnicity", text)


def _unlabelled_birth(rows: list[Row], found: dict[str, Value]) -> Value | None:
    """A row reading "YYYY年M月D日" when the 出生 label was lost."""
    for idx, row in enumerate(rows):
        m = _BIRTH_WRITTEN.search(row.text)
        if m and _in_birth_slot(idx, found):
            return Value(m[0], span_score(row, m.start(), m.end()), idx, row.left, True)
    return None


def _in_birth_slot(idx: int, found: dict[str, Value]) -> bool:
    above = [found[k].row for k in ("name", "sex") if k in found]
    below = [found[k].row for k in ("address", "number") if k in found]
    return all(r < idx for r in above) and all(r > idx for r in below)


def _parse_birth(text: str) -> date | None:
    m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})", text) or re.search(r"(\d{4})\D{0,2}(\d{1,2})\D{1,2}(\d{1,2})", text)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _address(rows: list[Row], found: dict[str, Value]) -> tuple[str, float]:
    """The 住址 row's value, then the following rows right of the label column."""
    if "address" not in found:
        return "", 0.0
    first = found["address"]
    parts, scores = [first.text], [first.score]
    stop = found["number"].row if "number" in found else len(rows)
    row = rows[first.row]
    x_min = first.label_left + 1.6 * row.height
    prev_cy, labelled = row.cy, {v.row for v in found.values()}
    for idx in range(first.row + 1, stop):
        nxt = rows[idx]
        if idx in labelled or _NUMBER_RUN.search(nxt.text.translate(_DIGIT_LOOKALIKES)):
            break
        if nxt.cy - prev_cy > 2.0 * row.height:
            break
        text, score = text_right_of(nxt, x_min)
        text = re.sub(r"[^\w\-()（）#·]", "", text)
        if text:
            parts.append(text)
            scores.append(score)
        prev_cy = nxt.cy
    address = re.sub(r"[^\w\-()（）#·]", "", "".join(parts))
    if address and not address.startswith(PROVINCES) and address[1:].startswith(PROVINCES):
        address = address[1:]  # a stroke of the 住址 label read as a character
    return address, min(scores)


def _number(rows: list[Row], found: dict[str, Value]) -> tuple[str | None, float]:
    """The number after its label, else the longest digit run anywhere on the card."""
    if "number" in found:
        text = clean_number(found["number"].text)
        if len(text) >= 15:
            return text, found["number"].score
    best: tuple[str | None, float] = (None, 0.0)
    for row in rows:
        for m in _NUMBER_RUN.finditer(row.text.translate(_DIGIT_LOOKALIKES)):
            if best[0] is None or len(m[0]) > len(best[0]):
                best = (clean_number(m[0]), min(row.scores[m.start():m.end()]))
    return best


def clean_number(text: str) -> str:
    """Digits (and a final X) of an OCR'd number.

    Junk before the first digit (where the number's box overlaps its label) is dropped;
    letters that look like digits are read as digits; of a run longer than 18, the one
    18-character window with a valid check code is kept when there is exactly one.
    """
    m = re.search(r"\d", text)
    if m is None:
        return ""
    digits = re.sub(r"[^0-9X]", "", text[m.start():].translate(_DIGIT_LOOKALIKES))
    if len(digits) > 18:
        windows = {digits[i:i + 18] for i in range(len(digits) - 17)}
        valid = [w for w in windows if idcard.is_valid(w)]
        if len(valid) == 1:
            return valid[0]
    return digits


def _check_number(out: FieldBuilder, number: str | None) -> bool:
    if number is None:
        return False
    try:
        idcard.parse(number)
    except ValueError as exc:
        out.flag("id_number", "invalid_checksum", str(exc))
        return False
    return True


def _check_against_number(out: FieldBuilder, number: str | None, found: dict, num_score: float, as_of: date) -> None:
    """Birth date and sex: the number (checksum passed) wins over the print, always flagged."""
    if number is not None:
        info = idcard.parse(number)
        for key, from_number in (("birth_date", info.birth_date.isoformat()), ("sex", info.sex)):
            printed = out.fields[key]
            if printed.value is None:
                out.put(key, from_number, num_score, "from_number")
                out.flag(key, "from_number")
            elif printed.value != from_number:
                out.put(key, from_number, min(num_score, printed.confidence), "mismatch_number")
                out.flag(key, "mismatch_number", printed.value)
    birth = out.fields["birth_date"].value
    if birth is not None:
        born = date.fromisoformat(birth)
        if born > as_of or idcard.age_on(born, as_of) > 120:
            out.flag("birth_date", "implausible")


def portrait_quad(layout: Layout, found: dict[str, Value]) -> list[Point] | None:
    """The portrait window in image coordinates, from where the label rows are.

    Fits `cy = offset + scale * mm` through the label rows found (at least two), then maps
    the portrait's card millimetres back through the deskew rotation.
    """
    pairs = [(ROW_MM[k], layout.rows[v.row].cy) for k, v in found.items() if k in ROW_MM and not v.fuzzy_label]
    column = label_column({k: v for k, v in found.items() if k != "ethnicity"})
    if len(pairs) < 2 or column is None:
        return None
    n = len(pairs)
    mx, my = sum(p[0] for p in pairs) / n, sum(p[1] for p in pairs) / n
    sxx = sum((p[0] - mx) ** 2 for p in pairs)
    if sxx == 0:
        return None
    scale = sum((p[0] - mx) * (p[1] - my) for p in pairs) / sxx
    if scale <= 0:
        return None
    offset = my - scale * mx
    left, top, right, bottom = PORTRAIT_MM
    to_x = lambda mm: column + (mm - LABEL_LEFT_MM) * scale  # noqa: E731
    to_y = lambda mm: offset + mm * scale  # noqa: E731
    corners = [(to_x(x), to_y(y)) for x, y in ((left, top), (right, top), (right, bottom), (left, bottom))]
    return [layout.to_image(p) for p in corners]

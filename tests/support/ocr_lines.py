"""Synthetic OCR lines (what the engine returns) for parser tests: boxes, tilt, a front, a back."""

import math
import random

NUMBER = "431321199709265445"  # valid; born 1997-09-26; 17th digit 4 -> female
CHAR_W = 30.0  # px per character of the synthetic boxes
ROW_H = 32.0


def line(x, y, text, score=0.99, width=None):
    """An axis-aligned OCR box at (x, y) top-left, one character = CHAR_W px wide."""
    w = width if width is not None else CHAR_W * len(text)
    return ([(x, y), (x + w, y), (x + w, y + ROW_H), (x, y + ROW_H)], text, score)


def turned(lines, degrees, shuffle_seed=None):
    """Rotate every box about the origin (a tilted photo) and optionally shuffle the order."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    out = [([(x * c - y * s + 300, x * s + y * c + 100) for x, y in box], text, score) for box, text, score in lines]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(out)
    return out


def front_lines(
    *, name="诸葛国然", sex="女", ethnicity="汉", birth="1997年9月26日", address=("湖南省娄底市双峰县梓门", "桥镇和平村二组183号"),
    number=NUMBER, scores=None,
):
    scores = scores or {}
    rows = [
        line(100, 100, "姓名"), line(200, 98, name, scores.get("name", 0.99)),
        line(100, 160, "性别"), line(200, 160, sex, scores.get("sex", 0.99)),
        line(310, 160, "民族"), line(410, 160, ethnicity, scores.get("ethnicity", 0.99)),
        line(100, 220, "出生"), line(200, 220, birth, scores.get("birth", 0.99), width=260),
        line(100, 280, "住址"),
    ]
    for i, part in enumerate(address):
        rows.append(line(200, 280 + 46 * i, part, scores.get("address", 0.99)))
    rows += [line(100, 460, "公民身份号码"), line(290, 458, number, scores.get("number", 0.99), width=450)]
    return rows


def back_lines(validity="2010.03.04-2030.03.04", authority="双峰县公安局"):
    return [
        line(300, 60, "中华人民共和国"), line(280, 130, "居民身份证", width=400),
        line(150, 380, "签发机关"), line(300, 380, authority),
        line(150, 440, "有效期限"), line(300, 440, validity, width=330),
    ]

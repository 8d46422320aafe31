"""The error-code areas: each code in one area, its value its name (the wire value)."""

from collections import Counter

from app.domain.error_codes import ALL_CODES, AREAS


def test_each_code_belongs_to_exactly_one_area():
    counts = Counter(member.value for area in AREAS for member in area)
    assert [code for code, n in counts.items() if n > 1] == []
    assert len(ALL_CODES) == sum(len(area) for area in AREAS)


def test_a_codes_value_is_its_name():
    assert [m for m in ALL_CODES.values() if m.value != m.name] == []


def test_a_code_compares_equal_to_its_wire_string():
    assert ALL_CODES["BUREAU_SUBJECT_MISMATCH"] == "BUREAU_SUBJECT_MISMATCH"

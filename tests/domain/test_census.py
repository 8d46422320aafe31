from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.census import (
    COLUMNS,
    CensusFileError,
    households_of,
    parse_census,
    parse_group_number,
    parse_relation,
    validate_member,
)
from tests.support.census_files import person_number, sample_rows

HEADER = list(COLUMNS)
CODE = "141023100201"


def _row(**over):
    values = {"村区划代码": CODE, "村民小组": "第1村民小组", "户号": "001", "住址": "西街1号", "姓名": "王建国", "与户主关系": "户主",
              "身份证号码": person_number(1), "手机号": "13800000001"}
    values.update(over)
    return [values[h] for h in HEADER]


def _parse(rows, header=HEADER, max_rows=100):
    return parse_census([header, *rows], max_rows=max_rows)


def test_a_clean_file_gives_one_row_per_member_and_its_households():
    parsed = _parse(sample_rows(CODE, 3))
    assert parsed.ok and parsed.total_rows == 8 and len(parsed.rows) == 8
    first = parsed.rows[0]
    assert (first.line, first.division_code, first.group_number, first.household_no, first.member.relation) == (2, CODE, 1, "901", "head")
    assert first.member.birth_on == date(1950, 1, 1) and first.member.sex == "男"
    drafts = households_of(parsed.rows)
    assert [(d.household_no, d.group_number, d.lines, d.has_head) for d in drafts] == [
        ("901", 1, (2, 3, 4), True), ("902", 2, (5, 6), True), ("903", 1, (7, 8, 9), True)]


def test_each_bad_cell_is_reported_with_its_line_and_column():
    rows = [
        _row(),
        _row(**{"身份证号码": "141023196803150012", "姓名": "李四", "与户主关系": "配偶"}),  # wrong check character
        _row(**{"村区划代码": "14102310020", "身份证号码": person_number(2)}),
        _row(**{"户号": "", "身份证号码": person_number(3)}),
        _row(**{"与户主关系": "邻居", "身份证号码": person_number(4), "户号": "002"}),
        _row(**{"手机号": "12345", "身份证号码": person_number(5), "户号": "003"}),
        _row(**{"姓名": "王2", "身份证号码": person_number(6), "户号": "004"}),
    ]
    parsed = _parse(rows)
    got = [(e.line, e.column, e.message) for e in parsed.errors]
    assert got == [
        (3, "身份证号码", "身份证号码校验位不正确"),
        (4, "村区划代码", "村区划代码应为 12 位数字"),
        (5, "户号", "请填写户号"),
        (6, "与户主关系", "与户主关系应为：户主、配偶、子女、父母、其他"),
        (7, "手机号", "手机号应为 11 位数字，以 1 开头"),
        (8, "姓名", "姓名不能包含数字或符号，最多 32 个字"),
    ]
    assert [r.line for r in parsed.rows] == [2]


def test_duplicates_within_the_file_and_household_conflicts():
    rows = [
        _row(),
        _row(**{"姓名": "王二", "与户主关系": "子"}),  # same ID number as line 2
        _row(**{"姓名": "王三", "与户主关系": "户主", "身份证号码": person_number(9)}),  # a second head
        _row(**{"姓名": "王四", "与户主关系": "女儿", "住址": "东街9号", "身份证号码": person_number(10)}),
        _row(**{"姓名": "王五", "与户主关系": "女儿", "村民小组": "2组", "身份证号码": person_number(11)}),
    ]
    parsed = _parse(rows)
    assert [(e.line, e.column, e.message) for e in parsed.errors] == [
        (3, "身份证号码", "与第 2 行的身份证号码重复"),
        (4, "与户主关系", "同一户只能有一位户主（第 2 行已是户主）"),
        (5, "住址", "同一户的住址不一致"),
        (6, "村民小组", "同一户的村民小组不一致（之前为“第1村民小组”）"),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["村区划代码", "户号", "姓名", "与户主关系"], "缺少列：身份证号码"),
        ([*HEADER, "身份证号码"], "重复的列：身份证号码"),
        ([*HEADER, "年收入"], "无法识别的列：年收入"),
        (["农户信息表"], "缺少列"),
    ],
)
def test_a_wrong_header_refuses_the_whole_file(header, message):
    with pytest.raises(CensusFileError) as err:
        _parse([_row()], header=header)
    assert err.value.code == "BAD_HEADER" and message in err.value.message and err.value.field == "file"


def test_header_aliases_and_column_order_do_not_matter():
    header = ["身份证号", "姓名", "关系", "户号", "区划代码"]
    parsed = parse_census([header, [person_number(1), "王建国", "户主", "7", CODE]], max_rows=10)
    assert parsed.ok and parsed.rows[0].household_no == "7" and parsed.rows[0].member.phone == ""


def test_more_rows_than_the_limit_are_refused_without_reading_the_rest():
    consumed = []

    def table():
        yield HEADER
        for i in range(100_000):
            consumed.append(i)
            yield _row(**{"身份证号码": person_number(i)})

    with pytest.raises(CensusFileError) as err:
        parse_census(table(), max_rows=5_000)
    assert err.value.code == "TOO_MANY_ROWS" and "5,000" in err.value.message
    assert len(consumed) == 5_001


def test_blank_rows_are_skipped_and_an_empty_file_is_refused():
    parsed = _parse([[""] * 8, _row(), [None] * 3])
    assert parsed.total_rows == 1 and parsed.ok
    with pytest.raises(CensusFileError) as err:
        _parse([])
    assert err.value.code == "EMPTY_FILE"
    with pytest.raises(CensusFileError):
        parse_census([], max_rows=10)


def test_full_width_digits_and_a_lower_case_x_are_normalised():
    number = "11010519491231002X"
    parsed = _parse([_row(**{"身份证号码": "１１０１０５１９４９１２３１００２x", "户号": "００１"})])
    assert parsed.ok and parsed.rows[0].member.id_number == number and parsed.rows[0].household_no == "001"


@pytest.mark.parametrize(("text", "number"), [("3", 3), ("3组", 3), ("第3组", 3), ("第三村民小组", 3), ("十二组", 12), ("第二十一组", 21), ("东组", None), ("0", None)])
def test_group_numbers(text, number):
    assert parse_group_number(text) == number


def test_relation_words():
    assert [parse_relation(w) for w in ("户主", "妻子", "长子", "母亲", "孙女", "邻居")] == ["head", "spouse", "child", "parent", "other", None]


def test_validate_member_collects_every_error():
    member, errors = validate_member(name="", relation="", id_number="123", phone="abc")
    assert member is None
    assert errors == {"name": "请填写姓名", "relation": "请填写与户主关系", "id_number": "身份证号码应为 18 位", "phone": "手机号应为 11 位数字，以 1 开头"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=10), max_size=15))
def test_any_cells_give_rows_and_errors_or_a_file_error(body):
    try:
        parsed = _parse(body)
    except CensusFileError:
        return
    assert len(parsed.rows) + len(parsed.error_lines) >= parsed.total_rows
    assert {r.line for r in parsed.rows}.isdisjoint(parsed.error_lines)

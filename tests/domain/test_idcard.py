from datetime import date

import pytest

from app.domain import idcard


@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "11010219840406970X", "370101190102039973", "513101198201130014", "11010519491231002x"],
)
def test_accepts_published_valid_numbers(number):
    assert idcard.is_valid(number)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验位"),
        ("11010219840506970X", "校验位"),
        ("440524189001010014", "1900"),  # 1890: before the earliest accepted birth year
        ("440524188001010014", "1900"),  # the standard's own example, born 1880
        ("1101051949123100", "18 位"),
        ("11010519491331002X", "出生日期"),
        ("1101051949123100AX", "数字"),
    ],
)
def test_refuses_invalid_numbers_with_reason(number, reason):
    with pytest.raises(ValueError, match=reason):
        idcard.parse(number)


def test_decodes_birth_date_and_sex():
    info = idcard.parse("11010519491231002X")
    assert (info.area_code, info.birth_date, info.sex) == ("110105", date(1949, 12, 31), "女")
    assert idcard.parse("513101198201130014").sex == "男"


def test_make_number_round_trips():
    number = idcard.make_number("141023", date(1968, 3, 15), 35)
    assert number == "141023196803150357"
    assert idcard.parse(number).sex == "男"


def test_mask_keeps_six_and_four():
    assert idcard.mask("141023196803150357") == "141023********0357"


def test_age_on_leap_birthday():
    born = date(2000, 2, 29)
    assert idcard.age_on(born, date(2018, 2, 28)) == 17
    assert idcard.age_on(born, date(2018, 3, 1)) == 18


@pytest.mark.parametrize(("age", "years"), [(15, 5), (16, 10), (25, 10), (26, 20), (45, 20), (46, None)])
def test_validity_by_age(age, years):
    assert idcard.validity_years_for_age(age) == years

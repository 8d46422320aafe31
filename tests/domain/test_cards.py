import pytest

from app.domain import cards
from app.domain.errors import ValidationError


@pytest.mark.parametrize("number", ["79927398713", "4111111111111111", "6217000010001234"])
def test_known_valid_numbers_pass_luhn(number):
    assert cards.luhn_ok(number)


@pytest.mark.parametrize("number", ["79927398710", "4111111111111112", "6217000010001235", "", "1", "12a4", "４１１１"])
def test_wrong_check_digits_and_non_digits_fail(number):
    assert not cards.luhn_ok(number)


def test_a_single_transposition_is_caught():
    assert not cards.luhn_ok("6217000001001234")


def test_check_digit_completes_any_prefix():
    for prefix in ("621700001000123", "411111111111111", "7992739871"):
        assert cards.luhn_ok(prefix + cards.check_digit(prefix))
    assert cards.check_digit("7992739871") == "3"


def test_parse_accepts_spaces_and_hyphens():
    assert cards.parse(" 6217 0000-1000 1234 ") == "6217000010001234"


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ("", "INVALID_CARD_NUMBER", "请输入银行卡号"),
        ("6217 0000 1000 123x", "INVALID_CARD_NUMBER", "只能包含数字"),
        ("12345678903", "INVALID_CARD_NUMBER", "12 到 19 位"),
        ("62170000100012340000", "INVALID_CARD_NUMBER", "12 到 19 位"),
        ("6217000010001235", "CARD_CHECKSUM", "校验未通过"),
    ],
)
def test_parse_says_what_is_wrong(raw, code, message):
    with pytest.raises(ValidationError) as exc:
        cards.parse(raw)
    assert (exc.value.code, exc.value.field) == (code, "card_number") and message in exc.value.message


def test_mask_shows_first_and_last_four():
    assert cards.mask("6217000010001234") == "6217 **** **** 1234"
    assert cards.mask("123") == "***"

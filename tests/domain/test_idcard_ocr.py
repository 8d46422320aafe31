"""The ID-card parser on synthetic OCR lines (no image, no engine)."""

from datetime import date

import pytest

from app.domain.idcard_ocr import NotIdCard, read_id_card
from tests.support.ocr_lines import NUMBER, back_lines, front_lines, line, turned

AS_OF = date(2025, 6, 1)


# ------------------------------------------------------------------ front


def test_reads_all_front_fields_from_clean_lines():
    # given / when
    reading = read_id_card(front_lines(), as_of=AS_OF)
    # then
    assert reading.to_json() == {
        "side": "front", "name": "诸葛国然", "sex": "女", "ethnicity": "汉", "birth_date": "1997-09-26",
        "address": "湖南省娄底市双峰县梓门桥镇和平村二组183号", "id_number": NUMBER, "id_number_valid": True,
        "warnings": [],
    }
    assert reading.needs_confirmation == []
    assert reading.fields["name"].confidence == pytest.approx(0.99)


@pytest.mark.parametrize(("degrees", "seed"), [(0, 1), (8, 2), (-12, 3), (5, None)])
def test_line_order_and_tilt_do_not_matter(degrees, seed):
    expected = read_id_card(front_lines(), as_of=AS_OF).to_json()
    assert read_id_card(turned(front_lines(), degrees, seed), as_of=AS_OF).to_json() == expected


def test_label_and_value_in_one_box_and_spaced_labels():
    lines = [
        line(100, 100, "姓 名 张三丰"), line(100, 160, "性别男民族壮"), line(100, 220, "出生1990年1月2日"),
        line(100, 280, "住址广西壮族自治区南宁市宾阳"), line(200, 326, "县永丰镇青树村三组8号"),
        line(100, 460, "公民身份号码452123199001020019", width=640),
    ]
    reading = read_id_card(lines, as_of=AS_OF)
    assert reading.to_json() == {
        "side": "front", "name": "张三丰", "sex": "男", "ethnicity": "壮", "birth_date": "1990-01-02",
        "address": "广西壮族自治区南宁市宾阳县永丰镇青树村三组8号", "id_number": "452123199001020019",
        "id_number_valid": True, "warnings": [],
    }


def test_repeated_character_where_boxes_overlap_is_dropped():
    # the OCR reads the last character of a label again in the value box that overlaps it
    lines = front_lines()
    lines[6] = line(100, 220, "出生1", width=80)
    lines[7] = line(170, 220, "1997年9月26日", width=260)
    reading = read_id_card(lines, as_of=AS_OF)
    assert reading.value("birth_date") == "1997-09-26"
    assert reading.needs_confirmation == []


def test_character_read_twice_differently_where_boxes_overlap_is_kept_once():
    # the label box runs into the value and reads its first character as 亲; the value box reads 新
    lines = back_lines(authority="新县公安局")
    lines[2] = line(150, 380, "签发机关亲", width=170)
    lines[3] = line(300, 380, "新县公安局", width=150)
    assert read_id_card(lines, as_of=AS_OF).value("issuing_authority") == "新县公安局"


def test_overlapping_boxes_without_a_repeat_keep_every_character():
    lines = front_lines()
    lines[0] = line(100, 100, "姓名", width=70)  # 100..170
    lines[1] = line(160, 98, "诸葛国然", width=120)  # starts 10 px inside it, before the centre of 名
    assert read_id_card(lines, as_of=AS_OF).value("name") == "诸葛国然"


def test_overlapping_box_that_starts_with_a_label_keeps_the_value_before_it():
    lines = front_lines()
    lines[2:6] = [line(100, 160, "性别女", width=120), line(200, 160, "民族汉", width=110)]  # overlap 20 px
    reading = read_id_card(lines, as_of=AS_OF)
    assert (reading.value("sex"), reading.value("ethnicity")) == ("女", "汉")
    assert reading.needs_confirmation == []


def test_ethnicity_label_misread_beyond_recognition():
    lines = front_lines()
    lines[4] = line(310, 160, "底旅汉", width=100)
    del lines[5]
    reading = read_id_card(lines, as_of=AS_OF)
    assert reading.value("ethnicity") == "汉"
    assert reading.fields["ethnicity"].flags == ("label_missing",)


def test_junk_between_label_and_number_is_dropped():
    lines = front_lines()
    lines[-1] = line(270, 458, "B-" + NUMBER, width=480)
    reading = read_id_card(lines, as_of=AS_OF)
    assert reading.value("id_number") == NUMBER
    assert reading.id_number_valid is True


def test_address_on_three_rows_stops_at_the_number_row():
    lines = front_lines(address=("湖南省娄底市双峰县梓门", "桥镇和平村二组4栋48", "8室"))
    assert read_id_card(lines, as_of=AS_OF).value("address") == "湖南省娄底市双峰县梓门桥镇和平村二组4栋488室"


def test_unreadable_printed_birth_date_is_taken_from_the_number_and_flagged():
    reading = read_id_card(front_lines(birth="l9?7#"), as_of=AS_OF)
    assert reading.value("birth_date") == "1997-09-26"
    assert reading.fields["birth_date"].flags == ("from_number",)
    assert reading.needs_confirmation == ["birth_date"]
    assert reading.warnings == ["出生日期印刷内容无法识别，已按身份证号码填写，请核对"]


def test_printed_sex_contradicting_the_number_is_flagged_and_the_number_wins():
    reading = read_id_card(front_lines(sex="男"), as_of=AS_OF)
    assert reading.value("sex") == "女"
    assert "mismatch_number" in reading.fields["sex"].flags
    assert reading.warnings == ["性别印刷内容（男）与身份证号码不一致，已按号码填写，请核对"]


def test_printed_birth_date_contradicting_the_number_is_flagged():
    reading = read_id_card(front_lines(birth="1997年9月28日"), as_of=AS_OF)
    assert reading.value("birth_date") == "1997-09-26"
    assert reading.fields["birth_date"].flags == ("mismatch_number",)


def test_number_failing_the_checksum_is_flagged_invalid_and_the_print_is_kept():
    bad = NUMBER[:-1] + "6"
    reading = read_id_card(front_lines(number=bad), as_of=AS_OF)
    assert reading.to_json()["id_number_valid"] is False
    assert reading.value("id_number") == bad
    assert reading.fields["id_number"].flags == ("invalid_checksum",)
    assert reading.warnings == ["公民身份号码校验未通过（身份证号码校验位不正确），请核对号码"]
    assert reading.value("birth_date") == "1997-09-26"  # from the print, not checked against the number
    assert reading.value("sex") == "女"


def test_low_confidence_field_needs_confirmation_depending_on_threshold():
    lines = front_lines(scores={"name": 0.7})
    strict = read_id_card(lines, as_of=AS_OF)
    lenient = read_id_card(lines, as_of=AS_OF, threshold=0.6)
    assert strict.needs_confirmation == ["name"]
    assert strict.fields["name"].flags == ("low_confidence",)
    assert strict.fields["name"].confidence == pytest.approx(0.7)
    assert strict.warnings == ["姓名识别置信度低，请核对"]
    assert lenient.needs_confirmation == []


def test_damaged_name_label_is_read_by_position_and_flagged():
    lines = front_lines()
    lines[0:2] = [line(100, 100, "娃名王小明", width=180)]
    reading = read_id_card(lines, as_of=AS_OF)
    assert reading.value("name") == "王小明"
    assert reading.fields["name"].flags == ("label_missing",)


def test_label_with_a_dropped_character_keeps_the_surname():
    lines = front_lines()
    lines[0:2] = [line(100, 100, "姓肖德海", width=180)]
    assert read_id_card(lines, as_of=AS_OF).value("name") == "肖德海"


def test_damaged_sex_label_before_an_exact_ethnicity_label_on_the_same_row():
    lines = front_lines()
    lines[2:4] = [line(100, 160, "性刷女", width=100)]
    reading = read_id_card(lines, as_of=AS_OF)
    assert reading.value("sex") == "女"
    assert reading.value("ethnicity") == "汉"
    assert reading.fields["sex"].flags == ("label_missing",)


def test_rows_whose_labels_are_lost_are_read_by_position():
    # only 出生 survives exactly; the name and sex rows lost their labels, the number its label
    lines = [
        line(200, 98, "夏超玉"), line(100, 160, "刻女", 0.95), line(310, 160, "民营汉", 0.95),
        line(100, 220, "出生1997年9月26日", width=360), line(100, 280, "址湖南省邵阳市邵东县长乐", width=360),
        line(200, 326, "街道龙潭村八组5栋594室"), line(100, 460, "0号号" + NUMBER, width=600),
    ]
    reading = read_id_card(lines, as_of=AS_OF)
    got = reading.to_json()
    assert (got["name"], got["sex"], got["ethnicity"], got["birth_date"]) == ("夏超玉", "女", "汉", "1997-09-26")
    assert got["address"] == "湖南省邵阳市邵东县长乐街道龙潭村八组5栋594室"
    assert got["id_number"] == NUMBER
    assert set(reading.needs_confirmation) == {"name", "sex", "ethnicity", "address"}


def test_birth_row_without_its_label_is_still_read():
    lines = front_lines()
    del lines[6]  # the 出生 label box
    reading = read_id_card(lines, as_of=AS_OF)
    assert reading.value("birth_date") == "1997-09-26"
    assert reading.fields["birth_date"].flags == ("label_missing",)


def test_name_with_a_middle_dot_read_as_a_full_stop():
    lines = front_lines(name="阿依古丽.买买提")
    assert read_id_card(lines, as_of=AS_OF).value("name") == "阿依古丽·买买提"


def test_a_lone_value_the_detector_missed_gets_a_window_to_read_again():
    lines = [ln for ln in front_lines(ethnicity="白") if ln[1] != "白"]
    first = read_id_card(lines, as_of=AS_OF)
    assert first.value("ethnicity") is None
    assert list(first.reread_regions) == ["ethnicity"]
    (x0, y0), (x1, _), (_, y2), _ = first.reread_regions["ethnicity"]
    assert 370 < x0 < 380 and 520 < x1 < 535  # right of the 民族 box (310..370), ~5 label heights wide
    assert 155 < y0 < 160 and 192 < y2 < 197
    # when: the caller recognises the window and parses again with the extra line
    second = read_id_card(lines + [(first.reread_regions["ethnicity"], "白", 0.97)], as_of=AS_OF)
    assert second.value("ethnicity") == "白"
    assert second.reread_regions == {}
    assert second.needs_confirmation == []


def test_unknown_ethnicity_is_flagged():
    reading = read_id_card(front_lines(ethnicity="龙"), as_of=AS_OF)
    assert reading.value("ethnicity") == "龙"
    assert reading.fields["ethnicity"].flags == ("unknown_ethnicity",)
    assert reading.warnings == ["民族“龙”不在民族名称表中，请核对"]


def test_known_misreading_of_an_ethnicity_is_corrected_and_flagged():
    reading = read_id_card(front_lines(ethnicity="日"), as_of=AS_OF)
    assert reading.value("ethnicity") == "白"
    assert reading.fields["ethnicity"].flags == ("corrected",)
    assert reading.warnings == ["民族“日”按字形更正为“白”，请核对"]


def test_missing_field_is_unreadable_and_null():
    lines = [ln for ln in front_lines() if ln[1] not in ("诸葛国然",)]
    reading = read_id_card(lines, as_of=AS_OF)
    assert reading.to_json()["name"] is None
    assert reading.fields["name"].flags == ("unreadable",)
    assert reading.warnings == ["姓名无法识别，请人工录入"]


def test_portrait_window_is_right_of_the_text_and_above_the_number():
    reading = read_id_card(front_lines(), as_of=AS_OF)
    (x0, y0), (x1, _), (_, y2), _ = reading.portrait_quad
    # label column at x=100, rows 60 px apart: ~9.5 px/mm; the window starts ~48 mm right of it
    assert 520 < x0 < 560 and 780 < x1 < 820
    assert 40 < y0 < 110 and 380 < y2 < 440


# ------------------------------------------------------------------ back


def test_reads_the_back():
    reading = read_id_card(back_lines(), as_of=AS_OF)
    assert reading.to_json() == {
        "side": "back", "issuing_authority": "双峰县公安局", "valid_from": "2010-03-04", "valid_until": "2030-03-04",
        "warnings": [],
    }
    assert reading.portrait_quad is None


def test_long_term_validity():
    reading = read_id_card(back_lines("2012.11.30-长期"), as_of=AS_OF, birth_date=date(1960, 1, 1))
    assert reading.value("valid_until") == "长期"
    assert reading.warnings == []


def test_expired_card_is_flagged_against_the_business_date():
    reading = read_id_card(back_lines("2005.06.01-2025.06.01"), as_of=date(2025, 6, 2))
    assert reading.fields["valid_until"].flags == ("expired",)
    assert reading.warnings == ["证件已于2025-06-01过期"]
    assert read_id_card(back_lines("2005.06.01-2025.06.01"), as_of=date(2025, 6, 1)).warnings == []


def test_validity_length_must_be_5_10_or_20_years():
    reading = read_id_card(back_lines("2010.03.04-2019.03.04"), as_of=date(2015, 1, 1))
    assert reading.fields["valid_until"].flags == ("validity_length",)
    assert reading.warnings == ["有效期限长度不符合规定（应为5年、10年、20年或长期），请核对"]


def test_validity_length_must_match_the_age_at_issue():
    # 10 years is right for 16-25; born 1980 the holder was 30 in 2010, which gives 20 years
    ok = read_id_card(back_lines("2010.03.04-2020.03.04"), as_of=date(2015, 1, 1), birth_date=date(1990, 5, 5))
    wrong = read_id_card(back_lines("2010.03.04-2020.03.04"), as_of=date(2015, 1, 1), birth_date=date(1980, 5, 5))
    assert ok.warnings == []
    assert wrong.fields["valid_until"].flags == ("validity_age",)
    assert wrong.warnings == ["有效期限与签发时的年龄不符（签发时29岁，应为20年），请核对"]


def test_long_term_for_a_young_holder_is_flagged():
    reading = read_id_card(back_lines("2012.11.30-长期"), as_of=AS_OF, birth_date=date(1990, 1, 1))
    assert reading.fields["valid_until"].flags == ("validity_age",)


def test_issue_date_after_the_business_date_is_flagged():
    reading = read_id_card(back_lines("2025.07.01-2035.07.01"), as_of=AS_OF)
    assert reading.fields["valid_from"].flags == ("not_yet_valid",)


# ------------------------------------------------------------------ not a card


@pytest.mark.parametrize(
    "lines",
    [
        None,
        [],
        [line(40, 40 + 45 * i, "型利并全许决习品道总个带高世特满的例变") for i in range(10)],
        [line(40, 40, "姓名"), line(40, 100, "今天天气很好")],  # one label is not a card
    ],
)
def test_lines_that_are_not_an_id_card_raise_not_id_card(lines):
    with pytest.raises(NotIdCard) as exc:
        read_id_card(lines, as_of=AS_OF)
    assert exc.value.code == "NOT_ID_CARD"
    assert "身份证" in exc.value.message

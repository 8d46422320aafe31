"""ID-card OCR with the real rapidocr engine on cards the repo renders (tests/support/idcards.py)."""

import io
from datetime import date

import cv2
import pytest
from PIL import Image

from app.domain.idcard_ocr import NotIdCard
from tests.support.idcards import AS_OF, make_card, render_text_page
from workers.engines import ocr
from workers.engines import build_ocr_engine
from workers.engines.ocr import CardImageError, read_id_card_image

pytestmark = pytest.mark.ml

SEEDS = range(12)  # 12 seeds x (front, back) x (clean, damaged) = 48 cards


@pytest.fixture(scope="session")
def engine():
    return build_ocr_engine()


@pytest.fixture(scope="module")
def readings(engine):
    """Every generated card read once: (side, damaged, truth, result or the DomainError)."""
    out = []
    for seed in SEEDS:
        for side in ("front", "back"):
            for damaged in (False, True):
                data, truth = make_card(seed, side=side, damaged=damaged)
                try:
                    result = read_id_card_image(engine, data, AS_OF)
                except (NotIdCard, CardImageError) as exc:
                    result = exc
                out.append((side, damaged, truth, result))
    return out


def _accuracy(readings, damaged):
    hits = total = 0
    misses = []
    for side, was_damaged, truth, result in readings:
        if was_damaged != damaged:
            continue
        got = result.reading.to_json() if not isinstance(result, Exception) else {}
        for key, want in truth.items():
            if key == "side":
                continue
            total += 1
            if got.get(key) == want:
                hits += 1
            else:
                misses.append((side, key, want, got.get(key)))
    return hits / total, total, misses


def test_the_engine_is_built_once_per_process(engine):
    assert build_ocr_engine() is engine


def test_field_accuracy_on_clean_cards_is_at_least_99_percent(readings):
    rate, total, misses = _accuracy(readings, damaged=False)
    assert total == 12 * 7 + 12 * 3  # 12 fronts x 7 fields + 12 backs x 3 fields
    assert rate >= 0.99, misses


def test_field_accuracy_on_damaged_cards_is_at_least_97_percent(readings):
    rate, total, misses = _accuracy(readings, damaged=True)
    assert total == 12 * 7 + 12 * 3
    assert rate >= 0.97, misses


def test_every_card_is_recognised_with_its_side(readings):
    sides = [(side, getattr(result, "reading", None) and result.reading.side) for side, _, _, result in readings]
    assert all(expected == got for expected, got in sides), sides
    assert len(sides) == 48


def test_fronts_carry_a_portrait_crop_and_backs_none(readings):
    for side, _, _, result in readings:
        if side == "back":
            assert result.portrait_jpeg is None
            continue
        crop = Image.open(io.BytesIO(result.portrait_jpeg))
        assert crop.format == "JPEG"
        ratio = crop.height / crop.width  # the window is 27.5 x 35 mm
        assert 1.1 < ratio < 1.45, (crop.size, ratio)


def test_portrait_crop_holds_the_portrait_not_the_text(engine):
    # the placeholder portrait is a grey tile with a skin-coloured head and a dark body
    data, _ = make_card(3, side="front")
    crop = Image.open(io.BytesIO(read_id_card_image(engine, data, AS_OF).portrait_jpeg)).convert("RGB")
    w, h = crop.size
    head = crop.getpixel((w // 2, int(h * 0.35)))
    body = crop.getpixel((w // 2, int(h * 0.85)))
    assert 120 < head[0] < 180 and head[0] > head[2] + 20  # brownish head
    assert max(body) < 100  # dark shoulders


def test_lone_character_missed_by_detection_is_read_again(engine):
    # on this card the detector finds no box around the lone 白; the window right of 民族 is re-read
    data, truth = make_card(228, side="front")
    reading = read_id_card_image(engine, data, AS_OF).reading
    assert truth["ethnicity"] == "白"
    assert reading.value("ethnicity") == "白"
    assert reading.needs_confirmation == []


def test_card_whose_number_fails_the_checksum_is_flagged_invalid(engine):
    data, truth = make_card(7, side="front", bad_checksum=True)
    reading = read_id_card_image(engine, data, AS_OF).reading
    assert truth["id_number_valid"] is False
    assert reading.value("id_number") == truth["id_number"]
    assert reading.to_json()["id_number_valid"] is False
    assert "id_number" in reading.needs_confirmation
    assert any("校验未通过" in w for w in reading.warnings)


def test_expired_card_is_reported_against_the_business_date(engine):
    data, truth = make_card(0, side="back")
    until = date.fromisoformat(truth["valid_until"])
    later = read_id_card_image(engine, data, date(until.year + 1, 1, 1)).reading
    assert later.warnings == [f"证件已于{until.isoformat()}过期"]
    assert later.needs_confirmation == ["valid_until"]


def test_small_photo_is_enlarged_and_still_read(engine):
    data, truth = make_card(4, side="front")
    small = Image.open(io.BytesIO(data))
    small = small.resize((300, round(small.height * 300 / small.width)))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=85)
    got = read_id_card_image(engine, buf.getvalue(), AS_OF).reading.to_json()
    assert {k: got[k] for k in truth} == truth


def test_bytes_that_are_not_an_image_are_refused(engine):
    with pytest.raises(CardImageError) as exc:
        read_id_card_image(engine, b"%PDF-1.7 this is not a photo", AS_OF)
    assert exc.value.code == "BAD_IMAGE"
    assert "不是图片" in exc.value.message


def test_empty_upload_is_refused(engine):
    with pytest.raises(CardImageError) as exc:
        read_id_card_image(engine, b"", AS_OF)
    assert exc.value.code == "BAD_IMAGE"


def test_truncated_jpeg_is_refused(engine):
    data, _ = make_card(1, side="front")
    with pytest.raises(CardImageError) as exc:
        read_id_card_image(engine, data[: len(data) * 2 // 3], AS_OF)
    assert exc.value.code == "BAD_IMAGE"
    assert "不完整" in exc.value.message


def test_image_over_10_mb_is_refused_before_decoding(engine, monkeypatch):
    decoded = []
    real_imdecode = cv2.imdecode
    monkeypatch.setattr(ocr.cv2, "imdecode", lambda *a, **k: decoded.append(a) or real_imdecode(*a, **k))
    data, _ = make_card(1, side="front")
    oversize = data + b"\0" * (10 * 1024 * 1024 + 1 - len(data))
    with pytest.raises(CardImageError) as exc:
        read_id_card_image(engine, oversize, AS_OF)
    assert exc.value.code == "IMAGE_TOO_LARGE"
    assert "10 MB" in exc.value.message
    assert decoded == []


def test_small_file_that_would_decode_to_a_huge_bitmap_is_refused_before_decoding(engine, monkeypatch):
    decoded = []
    real_imdecode = cv2.imdecode
    monkeypatch.setattr(ocr.cv2, "imdecode", lambda *a, **k: decoded.append(a) or real_imdecode(*a, **k))
    buf = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buf, "PNG")  # 48 Mpx of one colour compresses to a few kB
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(CardImageError) as exc:
        read_id_card_image(engine, buf.getvalue(), AS_OF)
    assert exc.value.code == "IMAGE_TOO_LARGE"
    assert decoded == []


def test_custom_size_limit_is_respected(engine):
    data, _ = make_card(1, side="front")
    with pytest.raises(CardImageError) as exc:
        read_id_card_image(engine, data, AS_OF, max_bytes=len(data) - 1)
    assert exc.value.code == "IMAGE_TOO_LARGE"


def test_photo_of_a_text_page_is_not_an_id_card(engine):
    with pytest.raises(NotIdCard) as exc:
        read_id_card_image(engine, render_text_page(1), AS_OF)
    assert exc.value.code == "NOT_ID_CARD"


def test_blank_photo_is_not_an_id_card(engine):
    buf = io.BytesIO()
    Image.new("RGB", (800, 500), (128, 140, 150)).save(buf, "PNG")
    with pytest.raises(NotIdCard):
        read_id_card_image(engine, buf.getvalue(), AS_OF)

"""workers/engines/ocr.py around a stand-in engine: the re-read of missed values, without the models."""

import io
from datetime import date

from PIL import Image

from tests.support.ocr_lines import front_lines
from workers.engines.ocr import read_id_card_image


class StubEngine:
    """Detection finds every line but the lone ethnicity; recognition of a window reads 白."""

    def __init__(self):
        self.calls = []

    def __call__(self, img, use_cls=True, use_det=True):
        self.calls.append({"shape": img.shape, "use_cls": use_cls, "use_det": use_det})
        if not use_det:
            return [["白", 0.96]], [0.01]
        lines = [[box, text, score] for box, text, score in front_lines(ethnicity="白") if text != "白"]
        return lines, [0.01, 0.0, 0.02]


def _blank_png(w=900, h=560):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (240, 240, 235)).save(buf, "PNG")
    return buf.getvalue()


def test_missed_lone_value_is_recognised_in_its_window_and_parsed_again():
    engine = StubEngine()
    result = read_id_card_image(engine, _blank_png(), date(2025, 6, 1))
    assert result.reading.value("ethnicity") == "白"
    assert result.reading.needs_confirmation == []
    assert [c["use_det"] for c in engine.calls] == [True, False]
    assert all(c["use_cls"] is False for c in engine.calls)
    crop_h, crop_w = engine.calls[1]["shape"][:2]
    assert 30 < crop_h < 45 and 150 < crop_w < 170  # the window right of the 民族 label


def test_nothing_is_read_again_when_every_value_was_detected():
    class AllFound(StubEngine):
        def __call__(self, img, use_cls=True, use_det=True):
            self.calls.append({"use_det": use_det})
            return [[b, t, s] for b, t, s in front_lines()], [0.0]

    engine = AllFound()
    result = read_id_card_image(engine, _blank_png(), date(2025, 6, 1))
    assert result.reading.value("ethnicity") == "汉"
    assert [c["use_det"] for c in engine.calls] == [True]
    assert result.portrait_jpeg is not None

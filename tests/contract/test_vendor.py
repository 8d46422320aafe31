import hashlib
import re

from app.config import ROOT


def test_htmx_is_the_pinned_release():
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^HTMX_SHA256 := (\w+)$", makefile, re.M).group(1)
    served = ROOT / "ui" / "static" / "vendor" / "htmx.min.js"
    assert hashlib.sha256(served.read_bytes()).hexdigest() == pinned


def test_axe_core_is_the_pinned_release():
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"^AXE_SHA256 := (\w+)$", makefile, re.M).group(1)
    axe = ROOT / re.search(r"^AXE := (\S+)$", makefile, re.M).group(1)
    assert hashlib.sha256(axe.read_bytes()).hexdigest() == pinned

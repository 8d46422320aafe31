"""Synthetic resident ID cards rendered with PIL and the system Noto CJK font.

`make_card(seed, side=..., damaged=...)` returns `(jpeg_bytes, truth)`; everything is
deterministic from the seed. `truth` uses the keys of `IdCardReading.to_json()`.
The layout follows the real card (85.6 x 54 mm): labels in blue at the left, values in
black, the portrait at the right of the front; the back carries the title, 签发机关 and
有效期限. Damage = a phone photo of the card: background, rotation, perspective, glare,
blur, noise, small size, low JPEG quality.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.domain import idcard

FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_BOLD_PATH = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
SC_INDEX = 2  # Noto Sans CJK SC inside the collection
CARD_MM = (85.6, 54.0)
AS_OF = date(2025, 6, 1)  # the business date the tests read cards on

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国春梅海波红玉凤志文辉鹏飞云龙宇晨浩然思雨欣怡子涵佳琪晓东立新永福德胜秋菊金花翠莲"
ETHNICITIES = ("汉",) * 12 + ("壮", "回", "满", "维吾尔", "苗", "彝", "土家", "藏", "蒙古", "侗", "布依", "瑶", "白", "朝鲜")

# (area code, province, city, county) — synthetic test geography, codes in GB/T 2260 shape.
AREAS = (
    ("431321", "湖南省", "娄底市", "双峰县"),
    ("430521", "湖南省", "邵阳市", "邵东县"),
    ("431122", "湖南省", "永州市", "东安县"),
    ("510104", "四川省", "成都市", "锦江区"),
    ("511521", "四川省", "宜宾市", "叙州区"),
    ("370124", "山东省", "济南市", "平阴县"),
    ("411523", "河南省", "信阳市", "新县"),
    ("452123", "广西壮族自治区", "南宁市", "宾阳县"),
    ("360730", "江西省", "赣州市", "宁都县"),
    ("522301", "贵州省", "黔西南布依族苗族自治州", "兴义市"),
)
TOWNS = ("永丰镇", "青树坪镇", "梓门桥镇", "荷叶镇", "甘棠镇", "杏子铺镇", "城关镇", "花桥乡", "石门乡", "长乐街道")
VILLAGES = ("青树村", "新民村", "和平村", "大坪村", "石桥村", "白沙村", "龙潭村", "杨柳村", "光明村", "团结村")
GROUPS = ("一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组", "九组", "十组")


@dataclass(frozen=True)
class Person:
    name: str
    sex: str
    ethnicity: str
    birth: date
    address: str
    id_number: str
    authority: str
    valid_from: date
    valid_until: date | None  # None = 长期


UYGHUR_NAMES = ("阿依古丽·买买提", "艾力·吐尔逊", "热依拉·阿不都", "买买提·艾山", "古丽·热合曼")


def random_person(rng: random.Random, *, bad_checksum: bool = False) -> Person:
    ethnicity = rng.choice(ETHNICITIES)
    if ethnicity == "维吾尔" and rng.random() < 0.7:
        surname, given = rng.choice(UYGHUR_NAMES), ""
    elif rng.random() < 0.06:
        surname = rng.choice(COMPOUND_SURNAMES)
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    else:
        surname = rng.choice(SURNAMES)
        given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
    sex = rng.choice(("男", "女"))
    birth = date(1945, 1, 1) + timedelta(days=rng.randrange(365 * 63))
    code, province, city, county = rng.choice(AREAS)
    number = f"{rng.randrange(1, 400)}号" if rng.random() < 0.7 else f"{rng.randrange(1, 40)}栋{rng.randrange(101, 699)}室"
    address = province + city + county + rng.choice(TOWNS) + rng.choice(VILLAGES) + rng.choice(GROUPS) + number
    sequence = rng.randrange(0, 999)
    if (sequence % 2 == 1) != (sex == "男"):
        sequence += 1 if sequence < 998 else -1
    id_number = idcard.make_number(code, birth, sequence)
    if bad_checksum:
        wrong = [c for c in "0123456789X" if c != id_number[-1]]
        id_number = id_number[:-1] + rng.choice(wrong)
    # The card in hand: issued at some age, not after the business date.
    latest = min(AS_OF - timedelta(days=30), birth + timedelta(days=365 * 75))
    earliest = max(birth + timedelta(days=365 * 5), date(2004, 1, 1))
    if earliest >= latest:
        earliest = latest - timedelta(days=200)
    valid_from = earliest + timedelta(days=rng.randrange(max((latest - earliest).days, 1)))
    years = idcard.validity_years_for_age(idcard.age_on(birth, valid_from))
    valid_until = _add_years(valid_from, years) if years else None
    authority = f"{city}公安局{county[:-1]}分局" if county.endswith("区") else f"{county}公安局"
    return Person(surname + given, sex, ethnicity, birth, address, id_number,
                  authority, valid_from, valid_until)


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def truth_for(person: Person, side: str) -> dict:
    if side == "front":
        return {
            "side": "front", "name": person.name, "sex": person.sex, "ethnicity": person.ethnicity,
            "birth_date": person.birth.isoformat(), "address": person.address, "id_number": person.id_number,
            "id_number_valid": idcard.is_valid(person.id_number),
        }
    return {
        "side": "back", "issuing_authority": person.authority, "valid_from": person.valid_from.isoformat(),
        "valid_until": person.valid_until.isoformat() if person.valid_until else "长期",
    }


@lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_BOLD_PATH if bold else FONT_PATH, size, index=SC_INDEX)


class _Canvas:
    """A card face in millimetre coordinates, rendered at `ppmm` pixels per mm."""

    LABEL = (38, 92, 158)
    VALUE = (20, 20, 20)

    def __init__(self, ppmm: float, rng: random.Random, tint: tuple[int, int, int]) -> None:
        self.ppmm, self.rng = ppmm, rng
        w, h = (round(v * ppmm) for v in CARD_MM)
        self.img = Image.new("RGB", (w, h), tint)
        self.draw = ImageDraw.Draw(self.img)
        self._guilloche(tint)

    def _guilloche(self, tint: tuple[int, int, int]) -> None:
        w, h = self.img.size
        colour = tuple(max(c - 22, 0) for c in tint)
        phase = self.rng.random() * 6.28
        for k in range(9):
            pts = [(x, h * (0.1 + 0.1 * k) + 6 * np.sin(x / 23.0 + phase + k)) for x in range(0, w, 6)]
            self.draw.line(pts, fill=colour, width=1)

    def px(self, mm: float) -> int:
        return round(mm * self.ppmm)

    def text(self, x: float, y: float, s: str, size_mm: float, colour, spacing_mm: float = 0.0,
             bold: bool = False) -> float:
        """Draw `s` with its top-left at (x, y) mm; return the x (mm) where it ends."""
        font = _font(self.px(size_mm), bold)
        cx = self.px(x)
        for ch in s if spacing_mm else (s,):
            self.draw.text((cx, self.px(y)), ch, font=font, fill=colour)
            cx += font.getlength(ch) + self.px(spacing_mm)
        return cx / self.ppmm


def _portrait(canvas: _Canvas, box_mm, face: Image.Image | None) -> None:
    x0, y0, x1, y1 = (canvas.px(v) for v in box_mm)
    if face is not None:
        canvas.img.paste(face.convert("RGB").resize((x1 - x0, y1 - y0)), (x0, y0))
        return
    w, h = x1 - x0, y1 - y0
    tile = Image.new("RGB", (w, h), (226, 228, 232))
    d = ImageDraw.Draw(tile)
    d.ellipse((w * 0.28, h * 0.14, w * 0.72, h * 0.6), fill=(150, 124, 110))
    d.ellipse((w * 0.08, h * 0.66, w * 0.92, h * 1.4), fill=(60, 64, 80))
    canvas.img.paste(tile, (x0, y0))


def _wrap(address: str, per_line: int) -> list[str]:
    return [address[i:i + per_line] for i in range(0, len(address), per_line)]


def render_front(p: Person, rng: random.Random, ppmm: float, face: Image.Image | None = None) -> Image.Image:
    c = _Canvas(ppmm, rng, (246 - rng.randrange(8), 244 - rng.randrange(8), 236))
    j = lambda: rng.uniform(-0.4, 0.4)  # noqa: E731 - layout jitter in mm
    lx, vx, ls, vs = 6.0 + j(), 17.0 + j(), 3.0, 3.4
    sp = rng.choice((0.0, 0.0, 1.2, 2.0))  # some cards space the label characters
    c.text(lx, 6.5 + j(), "姓名", ls, c.LABEL, sp)
    c.text(vx, 6.2 + j(), p.name, vs + 0.4, c.VALUE)
    y = 13.2 + j()
    c.text(lx, y, "性别", ls, c.LABEL, sp)
    c.text(vx, y - 0.3, p.sex, vs, c.VALUE)
    c.text(29.0, y, "民族", ls, c.LABEL, sp)
    c.text(39.5, y - 0.3, p.ethnicity, vs, c.VALUE)
    y = 19.8 + j()
    c.text(lx, y, "出生", ls, c.LABEL, sp)
    x = c.text(vx, y - 0.3, str(p.birth.year), vs, c.VALUE) + 1.0
    x = c.text(x, y, "年", ls, c.LABEL) + 1.5
    x = c.text(x, y - 0.3, str(p.birth.month), vs, c.VALUE) + 1.0
    x = c.text(x, y, "月", ls, c.LABEL) + 1.5
    x = c.text(x, y - 0.3, str(p.birth.day), vs, c.VALUE) + 1.0
    c.text(x, y, "日", ls, c.LABEL)
    y = 26.4 + j()
    c.text(lx, y, "住址", ls, c.LABEL, sp)
    for i, line in enumerate(_wrap(p.address, 11)[:3]):
        c.text(vx, y - 0.3 + i * 4.8, line, vs, c.VALUE)
    y = 44.5 + j()
    c.text(lx, y + 0.3, "公民身份号码", ls, c.LABEL)
    c.text(28.5 + j(), y - 0.4, p.id_number, 3.9, c.VALUE, spacing_mm=0.55)
    _portrait(c, (56.0, 6.5, 80.5, 38.5), face)
    return c.img


def render_back(p: Person, rng: random.Random, ppmm: float) -> Image.Image:
    c = _Canvas(ppmm, rng, (240 - rng.randrange(8), 242 - rng.randrange(8), 246))
    j = lambda: rng.uniform(-0.4, 0.4)  # noqa: E731
    d = c.draw
    d.ellipse((c.px(6), c.px(5), c.px(21), c.px(20)), fill=(200, 40, 40))
    d.ellipse((c.px(10), c.px(9), c.px(17), c.px(16)), fill=(235, 190, 60))
    c.text(28.0 + j(), 6.0 + j(), "中华人民共和国", 4.4, c.VALUE, spacing_mm=1.4, bold=True)
    c.text(26.0 + j(), 14.0 + j(), "居民身份证", 7.0, c.VALUE, spacing_mm=2.2, bold=True)
    until = f"{p.valid_until:%Y.%m.%d}" if p.valid_until else "长期"
    sp = rng.choice((0.0, 0.8))
    for y, label, value in ((36.5, "签发机关", p.authority), (43.5, "有效期限", f"{p.valid_from:%Y.%m.%d}-{until}")):
        y += j()
        c.text(13.0, y, label, 3.0, c.LABEL, sp)
        c.text(28.5, y - 0.3, value, 3.3, c.VALUE)
    return c.img


# ---------------------------------------------------------------- damage (a phone photo of the card)


def _perspective_coeffs(src, dst) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping output points `dst` to input `src`."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return np.linalg.solve(np.array(rows, float), np.array(rhs, float)).tolist()


def photograph(card: Image.Image, rng: random.Random, *, damaged: bool, out_width: int) -> Image.Image:
    """Put the card on a table and take a photo of it; `damaged` adds the phone-photo defects."""
    w, h = card.size
    rgba = card.convert("RGBA")
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, w - 1, h - 1), radius=int(h * 0.06), fill=255)
    rgba.putalpha(mask)
    margin = int(w * (0.14 if damaged else 0.06))
    bw, bh = w + 2 * margin, h + 2 * margin
    base = tuple(rng.randrange(60, 200) for _ in range(3))
    bg = Image.new("RGB", (bw, bh), base)
    if damaged:
        angle = rng.uniform(-14, 14)
        jit = lambda: rng.uniform(-0.07, 0.07) * w  # noqa: E731
    else:
        angle = rng.uniform(-1.0, 1.0)
        jit = lambda: 0.0  # noqa: E731
    rot = rgba.rotate(angle, expand=True, resample=Image.BICUBIC)
    src = [(0, 0), (rot.width, 0), (rot.width, rot.height), (0, rot.height)]
    ox, oy = (bw - rot.width) / 2, (bh - rot.height) / 2
    dst = [(ox + x + jit(), oy + y + jit()) for x, y in src]
    warped = rot.transform((bw, bh), Image.PERSPECTIVE, _perspective_coeffs(src, dst), Image.BICUBIC)
    bg.paste(warped, (0, 0), warped)
    img = bg
    if damaged:
        img = _glare(img, rng) if rng.random() < 0.6 else img
        img = _shadow(img, rng) if rng.random() < 0.5 else img
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    scale = out_width / img.width
    img = img.resize((out_width, round(img.height * scale)), Image.LANCZOS)
    if damaged:
        arr = np.asarray(img, dtype=np.float32)
        arr += np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(3, 12), arr.shape)
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return img


def _glare(img: Image.Image, rng: random.Random) -> Image.Image:
    w, h = img.size
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    r = rng.uniform(0.12, 0.25) * w
    yy, xx = np.mgrid[0:h, 0:w]
    alpha = np.clip(1.0 - ((xx - cx) ** 2 + ((yy - cy) * 1.6) ** 2) / r**2, 0, 1) * rng.uniform(0.3, 0.65)
    arr = np.asarray(img, dtype=np.float32)
    arr = arr * (1 - alpha[..., None]) + 255.0 * alpha[..., None]
    return Image.fromarray(arr.astype(np.uint8))


def _shadow(img: Image.Image, rng: random.Random) -> Image.Image:
    """Uneven light: a linear darkening across the photo in a random direction."""
    w, h = img.size
    theta = rng.uniform(0, 6.283)
    yy, xx = np.mgrid[0:h, 0:w]
    ramp = (np.cos(theta) * xx / w + np.sin(theta) * yy / h)
    ramp = (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    factor = 1.0 - ramp * rng.uniform(0.2, 0.45)
    return Image.fromarray((np.asarray(img, dtype=np.float32) * factor[..., None]).astype(np.uint8))


def to_jpeg(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def make_card(seed: int, *, side: str = "front", damaged: bool = False, bad_checksum: bool = False,
              face: Image.Image | None = None) -> tuple[bytes, dict]:
    """One photographed card and its truth, deterministic from `seed`."""
    rng = random.Random(f"card:{seed}")
    person = random_person(rng, bad_checksum=bad_checksum)
    if side == "front":
        card = render_front(person, rng, ppmm=10.0, face=face)
    else:
        card = render_back(person, rng, ppmm=10.0)
    if damaged:
        small = rng.random() < 0.3
        out_width = rng.randrange(400, 520) if small else rng.randrange(720, 960)
        quality = rng.randrange(18, 55)
    else:
        out_width, quality = rng.randrange(820, 960), 90
    img = photograph(card, rng, damaged=damaged, out_width=out_width)
    return to_jpeg(img, quality), truth_for(person, side)


def render_text_page(seed: int, width: int = 800, height: int = 600) -> bytes:
    """A photo of a page of random Chinese text: an image that is not an ID card."""
    rng = random.Random(f"page:{seed}")
    img = Image.new("RGB", (width, height), (250, 250, 245))
    d = ImageDraw.Draw(img)
    font = _font(26)
    chars = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种"
        "面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
        "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比"
        "或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
        "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做"
        "必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
        "收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信"
        "马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连"
        "断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存"
        "候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
    )
    for row in range(12):
        line = "".join(rng.choice(chars) for _ in range(rng.randrange(14, 24)))
        d.text((40, 30 + row * 46), line, font=font, fill=(30, 30, 30))
    return to_jpeg(img, 85)

import pytest

from app.domain.errors import ValidationError
from app.domain.money import Money
from app.services.appraisal.common import load_rules, rules_of
from app.services.appraisal.review import close_round, review_household
from tests.factories.villages import NOW, actor, households, open_appraisal, vote

XINHUA_FACTS = {"deposit": "ge50k", "health": "good", "labour": "3", "income": "10to20", "house_value": "30to50", "vehicle": "mid",
                "reputation": "good", "public_servant": "no", "graduate": "yes"}  # 10+10+7+15+16+8+15+0+5 = 86 points → 150,000


def test_a_rules_file_overrides_the_defaults(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("scorecard: xinhua\nexclusion:\n  min_members: 3\nobjection_days: 10\n", encoding="utf-8")
    data = load_rules(path)
    assert data["scorecard"]["code"] == "xinhua" and data["exclusion"] == {"min_members": 3} and data["objection_days"] == 10
    assert [r["code"] for r in data["exclusion_reasons"]][:2] == ["gambling", "drugs"]


@pytest.mark.parametrize("text", ["- just a list\n", "scorecard: [\n", "exclusion:\n  min_members: 0\n"])
def test_a_bad_rules_file_is_refused(tmp_path, text):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        load_rules(path)
    assert err.value.code == "INVALID_RULES"


async def test_an_appraisal_keeps_its_rules_and_scores_with_them(demo, tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("scorecard: xinhua\ngrade_caps_yuan: {excellent: 200000, good: 150000, fair: 50000, decline: 0}\n", encoding="utf-8")
    appraisal, members = await open_appraisal(rules=load_rules(path))
    h1 = (await households())[0]
    for m in members:
        await vote(m, h1, grade="good", amount="30000")
    officer = await actor("officer1")
    await close_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    review = await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h1.id, grade="good", amount=None, reasons=[], facts=XINHUA_FACTS, note="", now=NOW)
    assert (review.model_amount_fen, review.amount_fen) == (15_000_000, 15_000_000)
    assert rules_of(appraisal).scorecard.code == "xinhua"

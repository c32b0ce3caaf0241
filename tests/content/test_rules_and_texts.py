"""Safety rules, tips, nudges and the time-zone picker read as a user needs them."""

from __future__ import annotations

import re
import zoneinfo

from content.schema import Library, Tier

BANNED = (
    "forgot",
    "forget",
    "lazy",
    "fail",
    "again?",
    "should have",
    "shame",
    "guilt",
    "excuse",
    "disappoint",
    "missed",
    "still haven't",
)


# The screen as the table sets it: every flag with its tier.
SCREEN = {
    "saddle_numbness": Tier.EMERGENCY,
    "bladder_bowel": Tier.EMERGENCY,
    "sexual_function": Tier.EMERGENCY,
    "both_legs": Tier.EMERGENCY,
    "weakness_worsening": Tier.EMERGENCY,
    "tummy_pain": Tier.EMERGENCY,
    "throbbing_tummy": Tier.EMERGENCY,
    "fever_unwell": Tier.SAME_DAY,
    "infection_risk": Tier.SAME_DAY,
    "trauma": Tier.SAME_DAY,
    "cancer_history": Tier.SAME_DAY,
    "one_leg_worsening": Tier.SAME_DAY,
    "weight_loss": Tier.SOON,
    "new_over_50": Tier.SOON,
    "thin_bones": Tier.SOON,
    "constant_pain": Tier.SOON,
    "spine_fracture": Tier.DOCTOR_FIRST,
    "inflammation": Tier.DOCTOR_FIRST,
    "herniated_disc": Tier.DOCTOR_FIRST,
    "inflammatory_pattern": Tier.ROUTINE,
    "pregnant": Tier.ADAPT,
}


def test_the_screen_covers_the_standard_flags_with_their_tiers(library: Library) -> None:
    assert {flag.id: flag.tier for flag in library.rules.flags} == SCREEN


def test_the_flags_say_what_the_guidance_screens_for(library: Library) -> None:
    """Plain words, but the clinical content exact: both legs, not one; new, not chronic."""
    q = {flag.id: flag.question.lower() for flag in library.rules.flags}
    assert "genitals" in q["saddle_numbness"] and "inner thighs" in q["saddle_numbness"]
    assert "bladder" in q["bladder_bowel"] and "bowel" in q["bladder_bowel"]
    assert "<b>both</b> legs" in q["both_legs"]
    assert "trip" in q["weakness_worsening"]
    assert "tummy" in q["tummy_pain"] and "faint" in q["tummy_pain"]
    assert "inject drugs" in q["infection_risk"] and "immune" in q["infection_risk"]
    assert "cancer" in q["cancer_history"] and "new" in q["cancer_history"]
    assert "steroid" in q["thin_bones"]
    # Not "worse at night or at rest", which every desk worker answers Yes.
    assert "lie still" in q["constant_pain"] and "whatever position" in q["constant_pain"]
    assert "45" in q["inflammatory_pattern"] and "30 minutes" in q["inflammatory_pattern"]
    new_over_50 = library.rules.flag("new_over_50")
    assert new_over_50 is not None and new_over_50.when == "age_50_plus"


def test_every_flag_explains_itself(library: Library) -> None:
    """Each flag has a short label for summaries, a button, and a reason in a sentence or two."""
    for flag in library.rules.flags:
        assert flag.label[0].islower() and not flag.label.endswith("."), flag.id
        assert not flag.question.endswith("?"), flag.id  # listed items, answered by a tap
        assert 1 <= len(re.findall(r"[.!?](?:\s|$)", flag.why)) <= 2, flag.id
    cauda = [f for f in library.rules.flags if "cauda equina" in f.why]
    assert {f.id for f in cauda} >= {"saddle_numbness", "bladder_bowel", "sexual_function"}


def test_sources_are_cited_in_the_content(library: Library) -> None:
    """The screen names the guidance it follows (shown in /help, not under question 1)."""
    sources = " ".join(library.rules.sources)
    for needle in ("NG59", "2016", "2020", "Clinical Knowledge Summaries", "Finucane"):
        assert needle in sources


def test_each_tier_tells_the_user_what_to_do(library: Library) -> None:
    tiers = library.rules.tiers
    emergency = tiers[Tier.EMERGENCY].advice.lower()
    assert "{number}" in emergency and "now" in emergency and "exercises" in emergency
    assert "today" in tiers[Tier.SAME_DAY].advice
    assert "doctor" in tiers[Tier.SOON].advice
    assert "soon" not in tiers[Tier.EMERGENCY].headline.lower()
    assert "gentlest plan" in tiers[Tier.DOCTOR_FIRST].advice
    assert "GP" in tiers[Tier.ROUTINE].advice
    assert "stomach" in tiers[Tier.ADAPT].advice


def test_article_contraindications(library: Library) -> None:
    """Fracture, inflammation and herniated disc mean a doctor first, then the gentlest plan."""
    items = {f.id: f for f in library.rules.flags if f.tier is Tier.DOCTOR_FIRST}
    assert set(items) == {"spine_fracture", "inflammation", "herniated_disc"}
    advice = library.rules.tiers[Tier.DOCTOR_FIRST].advice
    assert "see a doctor first" in advice and "gentlest plan" in advice
    for item in items.values():
        assert "gentlest plan" not in item.why  # the reason, not the advice again


def test_emergency_numbers_are_known_for_common_zones(library: Library) -> None:
    assert library.emergency_numbers["GB"] == "999"
    assert library.emergency_numbers["US"] == "911"
    assert library.zone_countries["Europe/London"][0] == "GB"


def test_what_to_avoid(library: Library) -> None:
    """The article's off-limits list is all there."""
    in_pain = " ".join(library.rules.avoid_when_in_pain).lower()
    for needle in ("crunches", "sit-ups", "weights", "roller"):
        assert needle in in_pain
    beginner = " ".join(library.rules.avoid_as_beginner).lower()
    assert "technique" in beginner and "weights" in beginner
    during = " ".join(library.rules.during_exercise).lower()
    for needle in ("slowly", "skip", "doctor", "sharp pain"):
        assert needle in during
    roller = library.rules.roller_rule.lower()
    assert "buttocks" in roller and "never on your spine" in roller


def test_tips_are_short_and_plentiful(library: Library) -> None:
    """At least ten tips, each one to three sentences."""
    assert len(library.tips) >= 10
    for tip in library.tips:
        sentences = re.findall(r"[.!?](?:\s|$)", tip.text)
        assert 1 <= len(sentences) <= 3, tip.id


def test_tips_cover_the_articles_advice(library: Library) -> None:
    """Posture, whole-body training, water, food, moving more and prevention are covered."""
    text = " ".join(tip.text.lower() for tip in library.tips)
    for needle in (
        "rounded back",
        "yoga",
        "pilates",
        "abdomen",
        "intervertebral discs",
        "vitamins",
        "stairs",
        "office",
        "once the pain is gone",
        "sharp pain",
    ):
        assert needle in text, needle


def test_nudges_are_many_unique_short_and_kind(library: Library) -> None:
    """Reminders vary, fit a glance and never guilt-trip."""
    for texts in (library.nudges.stretch, library.nudges.water):
        assert len(texts) >= 14
        assert len(set(texts)) == len(texts)
        for text in texts:
            assert len(text) <= 200
            for word in BANNED:
                assert word not in text.lower(), (word, text)


def test_regions_map_well_known_cities_to_real_zones(library: Library) -> None:
    """Every city button schedules in a zone zoneinfo knows."""
    assert 5 <= len(library.regions) <= 8
    names = [city.name for region in library.regions for city in region.cities]
    assert len(names) == len(set(names))
    assert len({region.name for region in library.regions}) == len(library.regions)
    for region in library.regions:
        assert 6 <= len(region.cities) <= 10, region.name
        for city in region.cities:
            assert zoneinfo.ZoneInfo(city.zone).key == city.zone


def test_counts_read_with_the_right_plural(library: Library) -> None:
    """ "1 glass", "2 glasses": no "glass(es)" left for the reader to sort out."""
    assert "1 glass today" in library.text("water_logged", count=1)
    assert "2 glasses today" in library.text("water_logged", count=2)
    week = library.text("progress", streak=1, best=1, week=1, water=0)
    assert "This week: 1 session\n" in week and "Water today: 0 glasses" in week
    assert "4 times a day" in library.text("reminders_water", every="x", start="08:00", count=4)
    for key, text in library.texts.items():
        assert "(s)" not in text and "(es)" not in text, key

"""Safety rules, tips, nudges and the time-zone picker read as a user needs them."""

from __future__ import annotations

import re
import zoneinfo

from content.schema import Library

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


def test_seven_red_flags_of_which_three_are_emergencies(library: Library) -> None:
    """Saddle numbness, bladder or bowel trouble and worsening leg weakness send to urgent care."""
    flags = library.rules.red_flags
    assert len(flags) == 7
    assert {f.id for f in flags if f.emergency} == {
        "saddle_numbness",
        "bladder_bowel",
        "leg_weakness",
    }
    by_id = {f.id: f.question.lower() for f in flags}
    assert "genitals" in by_id["saddle_numbness"] and "inner thighs" in by_id["saddle_numbness"]
    assert "bladder" in by_id["bladder_bowel"] and "bowel" in by_id["bladder_bowel"]
    assert "getting worse" in by_id["leg_weakness"]


def test_red_flags_are_yes_no_questions(library: Library) -> None:
    """Triage shows each as a question with yes/no buttons."""
    for flag in library.rules.red_flags:
        assert flag.question.endswith("?"), flag.id
        assert flag.advice


def test_red_flag_sources_are_cited(library: Library) -> None:
    """The screening list names the guidelines it comes from."""
    source = library.rules.red_flag_source
    for needle in ("NG59", "2016", "2020", "Clinical Knowledge Summaries", "Finucane"):
        assert needle in source


def test_emergency_advice_sends_to_urgent_care_without_exercise(library: Library) -> None:
    """The emergency answer is clear: get help now, no exercises."""
    advice = library.rules.emergency_advice.lower()
    assert "emergency" in advice and "now" in advice and "exercises" in advice
    doctor = library.rules.see_doctor_advice.lower()
    assert "doctor" in doctor and "exercises" in doctor


def test_article_contraindications(library: Library) -> None:
    """Fracture, inflammation and herniated disc mean a doctor first, then the gentlest plan."""
    items = {c.id: c for c in library.rules.contraindications}
    assert set(items) == {"spine_fracture", "inflammation", "herniated_disc"}
    for item in items.values():
        assert "doctor" in item.advice and "gentlest plan" in item.advice


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

"""The stretch nudge's desk routine and its words, pure: what the button starts is what it says."""

from __future__ import annotations

import pytest

from bot.coach.desk import in_sentence, is_desk_plan, nudge_card, stretch_nudge_text
from bot.coach.plan import PlannedCard, SessionKind, SessionPlan, build_desk, gentler_option
from content.loader import load_library
from content.schema import Dosage, Library


@pytest.fixture(scope="module")
def lib() -> Library:
    return load_library()


def card(exercise_id: str) -> PlannedCard:
    return PlannedCard(exercise_id, None, Dosage(reps=1))


def test_names_read_inside_a_sentence() -> None:
    assert in_sentence("Standing forward bend") == "standing forward bend"
    assert in_sentence("Seated cat-cow") == "seated cat-cow"
    assert in_sentence("TV stretch") == "TV stretch"  # an acronym keeps its case


def test_every_stretch_text_names_the_first_card(lib: Library) -> None:
    for template in lib.nudges.stretch:
        text = stretch_nudge_text(template, "Seated cat-cow")
        assert "seated cat-cow" in text and "{" not in text
        assert "cat-cows" not in template.lower()  # no exercise the routine may not hold


def test_the_nudge_names_the_fresh_routine_s_first_card(lib: Library) -> None:
    fresh = build_desk(lib.exercises, levels={})
    at_desk = {e.id for e in lib.exercises if e.at_desk}.__contains__
    assert nudge_card(fresh, None, 0, at_desk) == fresh.cards[0]
    assert fresh.cards[0].exercise_id == "forward_bend"


def test_an_open_desk_routine_is_named_where_it_stands(lib: Library) -> None:
    at_desk = {e.id for e in lib.exercises if e.at_desk}.__contains__
    fresh = build_desk(lib.exercises, levels={})
    under_way = [card("forward_bend"), card("standing_back_extension"), card("seated_cat_cow")]
    assert nudge_card(fresh, under_way, 1, at_desk) == under_way[1]
    assert nudge_card(fresh, under_way, 3, at_desk) is None  # all answered: the summary comes
    # A floor stretch under way is left for /stretch: the button starts a desk routine.
    floor = [card("forward_bend"), card("cobra"), card("cat_cow")]
    assert not is_desk_plan(floor, at_desk)
    assert nudge_card(fresh, floor, 1, at_desk) == fresh.cards[0]
    empty = SessionPlan(SessionKind.STRETCH, (), 0)
    assert nudge_card(empty, None, 0, at_desk) is None


def test_after_it_hurts_a_desk_routine_offers_a_desk_exercise(lib: Library) -> None:
    """Never the same stretch in another position, never a floor exercise at the desk."""
    allowed = lib.exercises
    hurt = lib.exercise("forward_bend")
    shown = ["forward_bend"]
    later = ["standing_back_extension", "seated_cat_cow"]
    option = gentler_option(hurt, allowed, shown_ids=shown, later_ids=later, at_desk=True)
    assert option is not None and lib.exercise(option.exercise_id).at_desk
    # On the floor, the seated form of the cat-cow is never the gentler option.
    hurt = lib.exercise("cobra")
    option = gentler_option(hurt, allowed, shown_ids=["forward_bend", "cobra"])
    assert option is not None and lib.exercise(option.exercise_id).variant_of is None
    # A form of the hurt exercise is never offered: the seated cat-cow after the cat-cow.
    hurt = lib.exercise("cat_cow")
    option = gentler_option(hurt, allowed, shown_ids=["cat_cow"], at_desk=True)
    assert option is not None and option.exercise_id == "forward_bend"

"""The per-process language cache: bounded, least recently used out first."""

from __future__ import annotations

from bot.languages import MISSING, LanguageCache


def test_unknown_users_are_missing_and_known_ones_may_have_none() -> None:
    cache = LanguageCache()
    assert cache.get(1) is MISSING
    cache.put(1, None)  # no row, or no language stored: Telegram's language applies
    cache.put(2, "de")
    assert (cache.get(1), cache.get(2)) == (None, "de")
    cache.forget(2)
    assert cache.get(2) is MISSING
    cache.forget(3)  # forgetting someone never seen is fine


def test_the_least_recently_used_user_goes_first() -> None:
    cache = LanguageCache(size=2)
    cache.put(1, "en")
    cache.put(2, "de")
    assert cache.get(1) == "en"  # used: now the newest
    cache.put(3, "de")
    assert len(cache) == 2
    assert cache.get(2) is MISSING
    assert (cache.get(1), cache.get(3)) == ("en", "de")
    cache.put(1, "de")  # a change replaces, never grows
    assert len(cache) == 2 and cache.get(1) == "de"

"""Parse modes and keyboards are checked the way Telegram checks them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.html import parse_formatted, parse_html, parse_markdown_v2
from bot.emulator.validation import message_text, reply_markup


def test_html_entities_use_utf16_offsets_and_unescape() -> None:
    parsed = parse_html('💪 <b>Cat &amp; <i>cow</i></b> <a href="https://x.io/?a=1&amp;b=2">go</a>')
    assert parsed.text == "💪 Cat & cow go"
    assert parsed.entity_list() == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 9, "length": 3},
        {"type": "text_link", "offset": 13, "length": 2, "url": "https://x.io/?a=1&b=2"},
    ]


@pytest.mark.parametrize(
    ("html", "kind", "extra"),
    [
        ("<tg-spoiler>x</tg-spoiler>", "spoiler", {}),
        ('<span class="tg-spoiler">x</span>', "spoiler", {}),
        ("<blockquote expandable>x</blockquote>", "expandable_blockquote", {}),
        ("<s>x</s>", "strikethrough", {}),
        ("<u>x</u>", "underline", {}),
        ('<pre><code class="language-python">x</code></pre>', "pre", {"language": "python"}),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            "custom_emoji",
            {"custom_emoji_id": "5368324170671202286"},
        ),
    ],
)
def test_every_supported_tag(html: str, kind: str, extra: dict[str, Any]) -> None:
    entity = parse_html(html).entity_list()[0]
    assert entity["type"] == kind
    assert {k: entity[k] for k in extra} == extra


@pytest.mark.parametrize(
    "html", ["<br>", "<b>x", "x</b>", "<b>x</i>", "&nbsp;", "<b", '<a href="x>y</a>']
)
def test_broken_html_is_refused(html: str) -> None:
    with pytest.raises(ApiError, match=r"^Bad Request: can't parse entities: "):
        parse_html(html)


def test_numeric_references_are_decoded() -> None:
    assert parse_html("&#128170; &#x41;&lt;&gt;&quot;").text == '💪 A<>"'


def test_markdown_v2_parses_entities_and_demands_escapes() -> None:
    parsed = parse_markdown_v2(r"*bold* _it_ __u__ ~s~ ||sp|| `c` [link](https://a.b/c\)d) 1\.5")
    assert parsed.text == "bold it u s sp c link 1.5"
    assert [e["type"] for e in parsed.entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]
    assert parsed.entities[-1]["url"] == "https://a.b/c)d"
    with pytest.raises(ApiError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("Done.")
    with pytest.raises(ApiError, match="Can't find end of bold entity"):
        parse_markdown_v2("*open")


def test_legacy_markdown_and_unknown_modes_are_refused_clearly() -> None:
    with pytest.raises(ApiError, match="legacy Markdown is not supported"):
        parse_formatted("*x*", "Markdown")
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        parse_formatted("x", "BBCode")


def test_text_length_counts_utf16_units() -> None:
    message_text("💪" * 2048, None)
    with pytest.raises(ApiError, match="message is too long"):
        message_text("💪" * 2049, None)


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ({"inline_keyboard": [[{"text": "x"}]]}, "Text buttons are unallowed"),
        ({"inline_keyboard": [[{"text": "", "callback_data": "a"}]]}, "BUTTON_TEXT_INVALID"),
        ({"inline_keyboard": [[{"text": "x", "callback_data": ""}]]}, "BUTTON_DATA_INVALID"),
        (
            {"inline_keyboard": [[{"text": "x", "callback_data": "a", "url": "https://a.b"}]]},
            "exactly one",
        ),
        (
            {"inline_keyboard": [[{"text": "x", "url": "javascript:alert(1)"}]]},
            "BUTTON_URL_INVALID",
        ),
        (
            {"inline_keyboard": [[{"text": str(i), "callback_data": "a"} for i in range(101)]]},
            "reply markup is too long",
        ),
        ({"inline_keyboard": [{"text": "x", "callback_data": "a"}]}, "Array of Arrays"),
        (
            {"keyboard": [[{"text": "x", "request_location": True, "request_contact": True}]]},
            "only one request field",
        ),
        ({"remove_keyboard": False}, "must be true"),
        ({"buttons": []}, "can't parse reply keyboard markup"),
    ],
)
def test_bad_keyboards_are_refused(markup: dict[str, Any], error: str) -> None:
    with pytest.raises(ApiError, match=error):
        reply_markup(markup)


def test_reply_keyboards_pass_but_not_where_inline_is_required() -> None:
    location = {
        "keyboard": [[{"text": "Share location", "request_location": True}], ["Skip"]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    assert reply_markup(location) == location
    assert reply_markup({"force_reply": True, "input_field_placeholder": "Your city"})
    with pytest.raises(ApiError, match="inline keyboard expected"):
        reply_markup(location, inline_only=True)

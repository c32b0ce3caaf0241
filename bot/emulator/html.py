"""Parse mode handling like Telegram's, so a bot whose markup Telegram rejects fails here too.

HTML follows tdlib's parser (the tags and error messages of the Bot API). It is a little
stricter than Telegram about ``&``: a bare ampersand that does not start ``&lt;``, ``&gt;``,
``&amp;``, ``&quot;`` or a numeric reference is rejected, because it means the bot forgot to
escape user-visible text. MarkdownV2 is supported for the common entities; legacy Markdown is
refused with a clear message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import CANT_PARSE, ApiError

ENTITY_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME = re.compile(r"[A-Za-z0-9-]+")
_NUMERIC = re.compile(r"#(?:[xX]([0-9A-Fa-f]{1,6})|([0-9]{1,7}));?")
_NAMED = re.compile(r"([A-Za-z]+);?")
MD_RESERVED = set("_*[]()~`>#+-=|{}.!")


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit Telegram uses for entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Formatted:
    """Plain text after parsing plus its message entities in Bot API JSON form."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()

    def entity_list(self) -> list[dict[str, Any]]:
        """Return the entities as a JSON-ready list."""
        return [dict(e) for e in self.entities]


def parse_error(detail: str) -> ApiError:
    """Build the 400 Telegram sends when a parse mode cannot be parsed."""
    return ApiError(400, CANT_PARSE + detail)


@dataclass
class _Open:
    name: str
    start: int
    attrs: dict[str, str] = field(default_factory=dict)


class _HtmlParser:
    """One-shot parser of a Bot API HTML string."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.offset += utf16_len(chars)

    def run(self) -> Formatted:
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char == "&":
                self.entity()
            elif char == "<":
                if src.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                nxt = min(
                    (i for i in (src.find("&", self.pos), src.find("<", self.pos)) if i >= 0),
                    default=len(src),
                )
                self.emit(src[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            raise parse_error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return Formatted("".join(self.out), tuple(self.entities))

    def decode_entity(self, index: int) -> tuple[str, int]:
        """Decode the HTML entity at ``index`` (an ``&``); return the text and the next index."""
        rest = self.src[index + 1 :]
        numeric = _NUMERIC.match(rest)
        if numeric:
            value = int(numeric.group(1), 16) if numeric.group(1) else int(numeric.group(2))
            if 0 < value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
                return chr(value), index + 1 + numeric.end()
        named = _NAMED.match(rest)
        if named and named.group(1) in NAMED_ENTITIES:
            return NAMED_ENTITIES[named.group(1)], index + 1 + named.end()
        raise parse_error(
            f"Unsupported HTML entity at byte offset {self.byte_offset(index)}; "
            "escape '&' as '&amp;'"
        )

    def entity(self) -> None:
        decoded, self.pos = self.decode_entity(self.pos)
        self.emit(decoded)

    def start_tag(self) -> None:
        begin = self.pos
        src = self.src
        match = _NAME.match(src, begin + 1)
        name = match.group(0).lower() if match else ""
        if name not in ENTITY_TAGS:
            raise parse_error(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        assert match is not None
        i = match.end()
        attrs: dict[str, str] = {}
        while True:
            while i < len(src) and src[i].isspace():
                i += 1
            if i >= len(src):
                raise parse_error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if src[i] == ">":
                i += 1
                break
            attr = _NAME.match(src, i)
            if not attr:
                raise parse_error(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            key = attr.group(0).lower()
            i = attr.end()
            value = ""
            if i < len(src) and src[i] == "=":
                value, i = self.attr_value(i + 1, begin, name)
            attrs[key] = value
        self.pos = i
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise parse_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise parse_error("Custom emoji identifier must be non-empty")
        self.stack.append(_Open(name, self.offset, attrs))

    def attr_value(self, i: int, begin: int, tag: str) -> tuple[str, int]:
        src = self.src
        if i < len(src) and src[i] in "\"'":
            quote = src[i]
            end = src.find(quote, i + 1)
            if end < 0:
                raise parse_error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            raw = src[i + 1 : end]
            i = end + 1
        else:
            match = re.compile(r"[^\s>]*").match(src, i)
            assert match is not None
            raw = match.group(0)
            i = match.end()
        value: list[str] = []
        j = 0
        while j < len(raw):
            if raw[j] == "&":
                sub = _HtmlParser(raw)
                decoded, j = sub.decode_entity(j)
                value.append(decoded)
            else:
                value.append(raw[j])
                j += 1
        return "".join(value), i

    def end_tag(self) -> None:
        begin = self.pos
        end = self.src.find(">", begin)
        if end < 0:
            raise parse_error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        name = self.src[begin + 2 : end].strip().lower()
        if not self.stack:
            raise parse_error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack[-1]
        if top.name != name:
            raise parse_error(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.pos = end + 1
        self.close(top)

    def close(self, tag: _Open) -> None:
        length = self.offset - tag.start
        kind = ENTITY_TAGS[tag.name]
        entity: dict[str, Any] = {"type": kind, "offset": tag.start, "length": length}
        if tag.name == "a":
            if "href" not in tag.attrs:
                return
            entity["url"] = tag.attrs["href"]
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        elif tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            language = tag.attrs.get("class", "")
            if language.startswith("language-"):
                self.stack[-1].attrs["language"] = language.removeprefix("language-")
            return  # <pre><code> is one pre entity, as in Telegram
        elif tag.name == "pre" and tag.attrs.get("language"):
            entity["language"] = tag.attrs["language"]
        if length > 0:
            self.entities.append(entity)


def parse_html(source: str) -> Formatted:
    """Parse Bot API HTML into plain text and entities, or raise Telegram's 400."""
    return _HtmlParser(source).run()


_MD_MARKERS = ("```", "||", "__", "*", "_", "~", "`")
_MD_TYPES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
    "`": "code",
    "```": "pre",
}


def parse_markdown_v2(source: str) -> Formatted:
    """Parse the common MarkdownV2 entities, enforcing its escaping rule like Telegram."""
    out: list[str] = []
    offset = 0
    stack: list[tuple[str, int, int]] = []
    entities: list[dict[str, Any]] = []
    links: list[int] = []
    i = 0

    def emit(chars: str) -> None:
        nonlocal offset
        out.append(chars)
        offset += utf16_len(chars)

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    while i < len(source):
        char = source[i]
        code_open = bool(stack) and stack[-1][0] in ("`", "```")
        if char == "\\" and i + 1 < len(source):
            emit(source[i + 1])
            i += 2
            continue
        if code_open:
            fence = stack[-1][0]
            if source.startswith(fence, i):
                _, start, _ = stack.pop()
                if offset > start:
                    entities.append(
                        {"type": _MD_TYPES[fence], "offset": start, "length": offset - start}
                    )
                i += len(fence)
            else:
                emit(char)
                i += 1
            continue
        marker = next((m for m in _MD_MARKERS if source.startswith(m, i)), None)
        if marker is not None:
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                if offset > start:
                    entities.append(
                        {"type": _MD_TYPES[marker], "offset": start, "length": offset - start}
                    )
            else:
                stack.append((marker, offset, i))
            i += len(marker)
            continue
        if char == "[":
            links.append(offset)
            stack.append(("[", offset, i))
            i += 1
            continue
        if char == "]" and stack and stack[-1][0] == "[":
            _, start, _ = stack.pop()
            links.pop()
            match = re.compile(r"\(((?:\\.|[^)\\])*)\)").match(source, i + 1)
            if not match:
                raise parse_error(f"Can't find end of a URL at byte offset {byte_offset(i)}")
            url = re.sub(r"\\(.)", r"\1", match.group(1))
            if offset > start:
                entities.append(
                    {"type": "text_link", "offset": start, "length": offset - start, "url": url}
                )
            i = match.end()
            continue
        if char == ">" and (i == 0 or source[i - 1] == "\n"):
            i += 1
            continue
        if char in MD_RESERVED:
            raise parse_error(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(char)
        i += 1
    if stack:
        opened, _, where = stack[-1]
        name = "text URL" if opened == "[" else _MD_TYPES[opened]
        raise parse_error(f"Can't find end of {name} entity at byte offset {byte_offset(where)}")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return Formatted("".join(out), tuple(entities))


def check_entities(text: str, entities: Any) -> Formatted:
    """Accept explicit ``entities`` (which override parse_mode) after basic shape checks."""
    if not isinstance(entities, list):
        raise ApiError(400, "Bad Request: can't parse entities JSON object")
    total = utf16_len(text)
    checked: list[dict[str, Any]] = []
    for entity in entities:
        if not (
            isinstance(entity, dict)
            and isinstance(entity.get("type"), str)
            and isinstance(entity.get("offset"), int)
            and isinstance(entity.get("length"), int)
        ):
            raise ApiError(400, "Bad Request: can't parse entities JSON object")
        if (
            entity["offset"] < 0
            or entity["length"] < 0
            or (entity["offset"] + entity["length"] > total)
        ):
            raise parse_error("entity is out of the text bounds")
        checked.append(dict(entity))
    return Formatted(text, tuple(checked))


def parse_formatted(text: str, parse_mode: str | None, entities: Any = None) -> Formatted:
    """Apply ``entities`` or ``parse_mode`` (HTML, MarkdownV2) to ``text`` like the Bot API."""
    if entities is not None:
        return check_entities(text, entities)
    mode = (parse_mode or "").strip()
    if not mode:
        return Formatted(text)
    if mode.lower() == "html":
        return parse_html(text)
    if mode.lower() == "markdownv2":
        return parse_markdown_v2(text)
    if mode.lower() == "markdown":
        raise parse_error("legacy Markdown is not supported by the emulator; use HTML")
    raise ApiError(400, "Bad Request: unsupported parse_mode")

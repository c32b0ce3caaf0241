"""Bot API request parameters, decoded leniently the way Telegram reads them.

Query strings, form bodies and multipart bodies deliver every value as a string (structured
fields such as ``reply_markup`` as JSON text); JSON bodies deliver typed values. The accessors
here accept both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import ApiError, bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    data: bytes = field(repr=False)
    filename: str | None
    content_type: str | None


@dataclass
class Params:
    """The parameters of one Bot API call plus its uploaded files."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Tell whether a parameter was given (files count)."""
        return self.values.get(name) not in (None, "") or name in self.files

    def get_str(self, name: str) -> str | None:
        """Return a string parameter or None."""
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def req_str(self, name: str) -> str:
        """Return a required string parameter."""
        value = self.get_str(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        return value

    def get_int(self, name: str) -> int | None:
        """Return an integer parameter or None; reject non-numbers."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"wrong parameter {name} in request")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"wrong parameter {name} in request") from None

    def req_int(self, name: str) -> int:
        """Return a required integer parameter."""
        value = self.get_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def get_float(self, name: str) -> float | None:
        """Return a number parameter or None."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"wrong parameter {name} in request") from None

    def flag(self, name: str) -> bool:
        """Return a boolean parameter (false when absent)."""
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).strip().lower() in ("true", "1")

    def get_json(self, name: str, *, error: str | None = None) -> Any:
        """Return a structured parameter, decoding it when it arrived as JSON text."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error or f"can't parse {name} JSON object") from None
        return value

    def chat_id(self) -> int:
        """Return chat_id; an @username or garbage is a chat Telegram would not find."""
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        try:
            return self.req_int("chat_id")
        except ApiError:
            raise bad_request("chat not found") from None

    def loggable(self) -> dict[str, Any]:
        """Return the parameters with file bytes replaced by a short description."""
        data = dict(self.values)
        for name, upload in self.files.items():
            data[name] = {"upload": upload.filename, "size": len(upload.data)}
        return data

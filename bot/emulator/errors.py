"""Bot API errors with Telegram's own wording, so a bot sees what production would send it."""

from __future__ import annotations

from typing import Any

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
CANT_PARSE = "Bad Request: can't parse entities: "
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
CHAT_NOT_FOUND = "Bad Request: chat not found"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
CANT_EDIT = "Bad Request: message can't be edited"
CANT_DELETE = "Bad Request: message can't be deleted"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
METHOD_NOT_FOUND = "Not Found: method not found"
UNAUTHORIZED = "Unauthorized"
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
NOT_MEMBER = "Forbidden: bot is not a member of the group chat"
KICKED = "Forbidden: bot was kicked from the group chat"

DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request",
    401: UNAUTHORIZED,
    403: BLOCKED,
    404: "Not Found",
    409: CONFLICT,
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """A Bot API error answer; raised anywhere in a method and turned into JSON by the server."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """Return the exact JSON body Telegram would send for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """Build a 400 whose description already starts with "Bad Request: " or gets it."""
    if not detail.startswith("Bad Request"):
        detail = f"Bad Request: {detail}"
    return ApiError(400, detail)


def too_many_requests(retry_after: int) -> ApiError:
    """Build a flood-control answer the way Telegram words it."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class ScenarioError(AssertionError):
    """A test asked the fake user to do something a real user could not do."""


class EmulatorTimeoutError(AssertionError):
    """Something a test waited for did not happen in time."""

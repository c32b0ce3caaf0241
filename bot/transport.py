"""The bot's Bot API transport: python-telegram-bot requests over aiohttp instead of httpx.

python-telegram-bot's default ``HTTPXRequest`` spends 1-2 ms of CPU per call inside
httpx/httpcore (a failed ``import sniffio`` per request, pool bookkeeping that grows
with the pool); at nudge fan-out that dominated the bot's CPU. aiohttp, already a
dependency, does the same work for about a third of the cost (see ``bench/``).

``AiohttpRequest`` keeps ``HTTPXRequest``'s contract, because ``bot/retry.py`` and
``bot/scheduler.py`` decide on the exception type:

- a timeout of any kind raises ``telegram.error.TimedOut`` (a send that timed out may
  have been delivered, so it is not repeated);
- any other transport failure (refused, reset or dropped connection, truncated answer)
  raises ``telegram.error.NetworkError`` (nothing was delivered, a retry is safe);
- an HTTP answer of any status is returned as ``(status, body)`` for
  ``BaseRequest.post`` to turn into ``BadRequest``, ``RetryAfter`` and so on.

Error messages name the aiohttp exception class and never quote aiohttp's own text,
which can contain the request URL, and the URL contains the bot token.

How PTB's four timeouts map onto aiohttp (which has different knobs):

- ``connect_timeout`` -> ``ClientTimeout.sock_connect``: one TCP (and TLS) connect.
- ``pool_timeout`` -> part of ``ClientTimeout.connect``, which in aiohttp bounds the whole
  connection acquisition: waiting for a free slot in the pool *and* opening a new
  connection. It is set to ``pool_timeout + connect_timeout``, so a request may wait
  ``pool_timeout`` for a slot and still get its full connect time. Either one ``None``
  leaves acquisition unbounded (the socket connect itself stays bounded by
  ``sock_connect``). Both raise ``TimedOut`` with a message saying the request was not sent.
- ``read_timeout`` -> ``ClientTimeout.sock_read``: the longest silence while waiting for
  or reading the answer. aiohttp starts this clock once the request body is written.
- ``write_timeout`` (``media_write_timeout`` for uploads, as in ``HTTPXRequest``) has no
  aiohttp counterpart: aiohttp bounds no socket write. It becomes a backstop on the whole
  call, ``ClientTimeout.total = connect + pool + write + read``, so an upload into a
  stalled connection still ends (httpx would end it sooner, after ``write`` seconds
  without progress; a slow but steady upload that httpx lets finish could be cut off
  here once the sum is spent). ``None`` in any of the four means no backstop.

aiohttp rounds timeouts of 5 s and more up to whole seconds (its ``ceil_threshold``).
"""

from __future__ import annotations

import contextlib
import io
import ssl
from typing import IO

import aiohttp
import certifi
import orjson
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.polling_window import UPDATES_FROM, new_updates

# httpx closes idle connections after 5 s; keep that so a connection the server has
# quietly dropped is not picked up after a lull (aiohttp's own default is 15 s).
KEEPALIVE_SECONDS = 5.0

NOT_SENT = (
    "Timed out waiting for a free connection or connecting to the Bot API; the request was not sent"
)


def _resolve(given: ODVInput[float], default: float | None) -> float | None:
    """The per-call timeout if one was passed (``None`` included), else the default."""
    if isinstance(given, DefaultValue):
        return default
    return given


def _sum(*parts: float | None) -> float | None:
    """The sum of some timeouts, or ``None`` (no limit) if any of them is unlimited."""
    total = 0.0
    for part in parts:
        if part is None:
            return None
        total += part
    return total


def _file_bytes(content: bytes | IO[bytes]) -> bytes:
    """The bytes of an upload, read from the start like httpx does.

    PTB hands over a file handle when asked not to read it up front; the same handle
    comes back on a retry, so it is rewound first (when it can be). Reading it whole
    also keeps aiohttp from closing a handle the caller owns.
    """
    if isinstance(content, bytes):
        return content
    with contextlib.suppress(AttributeError, OSError, io.UnsupportedOperation):
        content.seek(0)
    return content.read()


def _body(request_data: RequestData | None) -> aiohttp.FormData | aiohttp.BytesPayload | None:
    """The request body: a JSON object, or multipart when there are files.

    The JSON object holds the same strings a form would (PTB's ``json_parameters``: nested
    values such as ``reply_markup`` already JSON-encoded), and the Bot API reads a string
    member of a JSON body exactly as the same field of a form. orjson writes it in
    microseconds; aiohttp's form encoding percent-quoted every character of the caption and
    the buttons in Python and built a multipart writer first, about 5 % of the bot's CPU.
    """
    if request_data is None:
        return None
    if not request_data.contains_files:
        return aiohttp.BytesPayload(
            orjson.dumps(request_data.json_parameters), content_type="application/json"
        )
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, _file_bytes(content), filename=filename, content_type=mimetype)
    return form


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session with a bounded connection pool.

    The arguments mean what they mean for ``telegram.request.HTTPXRequest`` (same
    defaults); the module docstring says how the timeouts map onto aiohttp.

    The session is opened by ``initialize()`` (PTB calls it from ``Bot.initialize``) or
    by the first request, and closed by ``shutdown()``. A request after ``shutdown()``
    opens a new session rather than failing as ``HTTPXRequest`` does: a late call during
    shutdown then still goes out, and the next ``shutdown()`` closes that session.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; ``Bot.get_updates`` adds the long-poll time to it."""
        return self._read_timeout

    @property
    def is_open(self) -> bool:
        """Whether a session is open (for tests and diagnostics)."""
        return self._session is not None and not self._session.closed

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """Telegram's answer, decoded by orjson (as PTB's docs suggest for a faster library).

        The poller's getUpdates answer holds every update still in flight each time, so
        decoding was a tenth of the bot's CPU with the standard library. Anything orjson
        refuses (a body that is not UTF-8, say) gets PTB's own lenient decoding and errors.
        Inside the poller's getUpdates call only its new updates are decoded
        (``bot.polling_window``).
        """
        first = UPDATES_FROM.get()
        if first is not None and (tail := new_updates(payload, first)) is not None:
            return tail
        try:
            result: JSONDict = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)
        return result

    async def initialize(self) -> None:
        """Open the session and its connection pool; does nothing if one is open."""
        if self.is_open:
            return
        # certifi is the CA bundle httpx used, so the trusted roots do not change with the
        # transport. No await below: concurrent first calls cannot open two sessions.
        tls = ssl.create_default_context(cafile=certifi.where())
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._pool_size, keepalive_timeout=KEEPALIVE_SECONDS, ssl=tls
            ),
            headers={"User-Agent": self.USER_AGENT},
            # Telegram sets no cookies; the dummy jar saves a cookie filter per call.
            cookie_jar=aiohttp.DummyCookieJar(),
            # Proxy variables are not read (httpx read them): reading them costs a thread
            # hop per request in aiohttp, and the bot talks to Telegram directly.
            trust_env=False,
            raise_for_status=False,
        )

    async def shutdown(self) -> None:
        """Close the session and every pooled connection; safe to call twice."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _timeout(
        self,
        *,
        files: bool,
        read_timeout: ODVInput[float],
        write_timeout: ODVInput[float],
        connect_timeout: ODVInput[float],
        pool_timeout: ODVInput[float],
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for one call (see the module docstring for the mapping)."""
        read = _resolve(read_timeout, self._read_timeout)
        write = _resolve(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _resolve(connect_timeout, self._connect_timeout)
        pool = _resolve(pool_timeout, self._pool_timeout)
        return aiohttp.ClientTimeout(
            total=_sum(pool, connect, write, read),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request and return its status and body; map aiohttp's errors onto PTB's."""
        if self._session is None or self._session.closed:
            await self.initialize()
        session = self._session
        assert session is not None  # initialize() just opened it
        timeout = self._timeout(
            files=request_data is not None and request_data.contains_files,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        try:
            async with session.request(
                method,
                url,
                data=_body(request_data),
                timeout=timeout,
                # httpx never followed redirects; the Bot API sends none.
                allow_redirects=False,
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise TimedOut(NOT_SENT) from error
        except TimeoutError as error:
            # aiohttp's ServerTimeoutError subclasses both TimeoutError and ClientError:
            # this clause must come before the ClientError one.
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The class only: aiohttp's messages may quote the URL, and so the token.
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error

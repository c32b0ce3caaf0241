"""A loopback TCP proxy in front of the machine's PostgreSQL: a server that goes down
(``cut()``: connections closed, new ones refused, until ``restore()``) or a network
that drops packets without a reset.

``blackhole()`` freezes every open connection (what either side sends is swallowed,
nothing is closed, no reset is sent) and swallows new ones the same way; ``forward()``
makes new connections work again, while the frozen ones stay dead, as connections
through a router that lost its state do. The kernel still acknowledges what the
client writes, so neither TCP keepalive nor a user timeout notices: only the
client's own timeouts can. The machine's PostgreSQL is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass(eq=False)
class _Link:
    """One client connection and, unless it arrived in the blackhole, its upstream."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    frozen: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class BlackholeProxy:
    """Forwards loopback connections to ``host:port`` until told to go silent or down."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port = 0
        self.silent = False
        self.down = False
        self.accepted = 0
        self.swallowed = 0  # connections accepted while silent: never forwarded
        self.dropped = 0  # bytes swallowed since going silent
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close everything (the test is over): listener, clients and upstreams."""
        if self._server is not None:
            self._server.close()
        tasks = [task for link in self._links for task in link.tasks]
        for link in self._links:
            for writer in (link.client, link.upstream):
                if writer is not None:
                    writer.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._links.clear()
        if self._server is not None:
            await self._server.wait_closed()

    def blackhole(self) -> None:
        """Go silent: open connections freeze for good, new ones are swallowed."""
        self.silent = True
        for link in self._links:
            link.frozen = True

    def forward(self) -> None:
        """Forward new connections again; the frozen ones stay frozen."""
        self.silent = False

    def cut(self) -> None:
        """Go down: close every connection and refuse new ones, like a server stopping."""
        self.down = True
        for link in self._links:
            for writer in (link.client, link.upstream):
                if writer is not None:
                    writer.close()

    def restore(self) -> None:
        """Be up again: new connections are forwarded."""
        self.down = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.down:
            writer.close()
            return
        link = _Link(writer, frozen=self.silent)
        self._links.add(link)
        if link.frozen:
            self.swallowed += 1
            link.tasks.append(asyncio.create_task(self._pipe(reader, None, link)))
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.close()
            self._links.discard(link)
            return
        link.upstream = up_writer
        link.tasks += [
            asyncio.create_task(self._pipe(reader, up_writer, link)),
            asyncio.create_task(self._pipe(up_reader, writer, link)),
        ]

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter | None, link: _Link
    ) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await source.read(65536):
                if link.frozen or sink is None:
                    self.dropped += len(data)  # swallowed, as by a network that drops it all
                    continue
                sink.write(data)
                await sink.drain()
        if not link.frozen and sink is not None:
            sink.close()  # an honest close is passed on; a frozen link never tells

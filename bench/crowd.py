"""Simulated users stepping through /today, card by card, through the timed emulator.

Each user sends ``/today``, then answers every card (mostly Done, some Skip, now and
then It hurts, then Next or the gentler option), and finally says how the back feels.
A user acts only after the bot's answer with buttons arrived, one update at a time.
Two ways to drive them:

* closed loop (``concurrency``): that many users, each acting as soon as it may — the
  most the bot can take (throughput);
* open loop (``rate``): updates at a fixed rate, from whichever users may act — latency
  at a given load.

A card may come as a new message or as the pressed card edited in place: either way it is
the next message with card buttons in the user's chat. Nudges that arrive meanwhile
(``n1:`` buttons) are left alone. Each press is noted in the server's stopwatch, which
times it to the call that shows the next card (bench/server.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from bench.server import NUDGE_PREFIX, Buttons, TimedServer


@dataclass
class Agent:
    """One simulated user and what they will do next."""

    chat_id: int
    message_id: int = 0
    data: str = ""  # callback data to press; "" means send /today
    finishing: bool = False
    acted_at: float = 0.0


@dataclass
class CrowdFigures:
    """What the crowd saw (the server's stopwatch has the per-update answers)."""

    actions: int = 0
    sessions_done: int = 0
    lost: int = 0
    missed_ticks: int = 0


class Crowd:
    """Users driven at a rate or as fast as the bot answers."""

    def __init__(self, server: TimedServer, user_ids: Iterator[int], *, seed: int = 8) -> None:
        self.server = server
        self.user_ids = user_ids
        self.rng = random.Random(seed)
        self.agents: dict[int, Agent] = {}
        self.ready: deque[Agent] = deque()
        self.figures = CrowdFigures()
        self.immediate = False
        self.command = "/today"
        self.spawn_limit: int | None = None
        self.spawned = 0
        server.on_keyboard = self._on_keyboard
        server.on_answer = self._on_answer

    # --- reactions to the bot -----------------------------------------------------------
    def _on_keyboard(self, chat_id: int, message_id: int, buttons: Buttons) -> None:
        agent = self.agents.get(chat_id)
        options = [data for row in buttons for _, data in row if data]
        if agent is None or options[0].startswith(NUDGE_PREFIX + ":"):
            return
        choice = self._choose(options)
        if choice is None:
            self._lose(agent)
            return
        agent.message_id, agent.data = message_id, choice
        agent.finishing = choice.startswith("f1:")
        self._ready(agent)

    def _on_answer(self, chat_id: int) -> None:
        agent = self.agents.get(chat_id)
        if agent is None:
            return
        if agent.finishing:
            del self.agents[chat_id]
            self.figures.sessions_done += 1
            if self.immediate:
                self._spawn()

    def _choose(self, options: list[str]) -> str | None:
        def pick(suffix: str) -> str | None:
            return next((o for o in options if o.endswith(suffix)), None)

        if any(o.startswith("f1:") for o in options):
            return pick(":better")
        roll = self.rng.random()
        if pick(":done"):
            wanted = ":done" if roll < 0.85 else ":skip" if roll < 0.97 else ":hurt"
            return pick(wanted)
        if pick(":next"):
            return (pick(":gentler") if roll < 0.2 else None) or pick(":next")
        return None

    def _lose(self, agent: Agent) -> None:
        self.agents.pop(agent.chat_id, None)
        self.figures.lost += 1
        if self.immediate:
            self._spawn()

    def _ready(self, agent: Agent) -> None:
        if self.immediate:
            asyncio.get_running_loop().call_soon(self._act, agent)
        else:
            self.ready.append(agent)

    # --- acting ---------------------------------------------------------------------------
    def _spawn(self) -> Agent | None:
        if self.spawn_limit is not None and self.spawned >= self.spawn_limit:
            return None
        chat_id = next(self.user_ids, None)
        if chat_id is None:  # every filled user had a turn
            self.spawn_limit = self.spawned
            return None
        self.spawned += 1
        agent = Agent(chat_id)
        self.agents[chat_id] = agent
        if self.immediate:
            asyncio.get_running_loop().call_soon(self._act, agent)
        return agent

    def _act(self, agent: Agent) -> None:
        if self.agents.get(agent.chat_id) is not agent:
            return
        agent.acted_at = time.perf_counter()
        self.figures.actions += 1
        if agent.data:
            if not agent.finishing:  # the feeling answer ends the session: no card follows
                self.server.watch.acted[agent.chat_id] = agent.acted_at
            self.server.press(agent.chat_id, agent.message_id, agent.data)
        else:
            self.server.send_text(agent.chat_id, self.command)

    async def closed_loop(self, concurrency: int, seconds: float) -> None:
        """Keep ``concurrency`` users acting as fast as the bot lets them."""
        self.immediate = True
        while len(self.agents) < concurrency and self._spawn() is not None:
            pass
        await asyncio.sleep(seconds)

    async def open_loop(self, rate: float, seconds: float, max_users: int = 5000) -> None:
        """Send ``rate`` updates a second, spread evenly, from users free to act."""
        self.immediate = False
        loop = asyncio.get_running_loop()
        started = loop.time()
        step = 1.0 / rate
        tick = 0
        while True:
            due = started + tick * step
            if due - started >= seconds:
                break
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tick += 1
            if self.ready:
                self._act(self.ready.popleft())
                continue
            agent = self._spawn() if len(self.agents) < max_users else None
            if agent is not None:
                self._act(agent)
            else:
                self.figures.missed_ticks += 1

    def stop(self) -> None:
        """Stop acting on new answers (the bot may still finish what it has)."""
        self.immediate = False
        self.server.on_keyboard = None
        self.server.on_answer = None

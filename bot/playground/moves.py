"""What one move of the playground clock did for a user: nudges delivered, skipped, and why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.coach.nudges import STALE_GRACE
from bot.scheduler import NudgeDecision

# (one, many) for each kind of nudge the dispatcher sends.
KIND_NAMES = {
    "stretch": ("stretch nudge", "stretch nudges"),
    "water": ("water nudge", "water nudges"),
    "checkin": ("weekly check-in", "weekly check-ins"),
}
_GRACE_MINUTES = int(STALE_GRACE.total_seconds() // 60)
# Why the dispatcher left a nudge out, by its action (and kind, where that changes the why).
_WHY = {
    "stale": f"more than {_GRACE_MINUTES} minutes late, and the bot never sends one that late",
    ("done", "stretch"): "today's session was already done",
    ("done", "checkin"): "this week's check-in was already taken",
    "held": "exercise is on hold for now",
    "off": "reminders are turned off or paused",
    "blocked": "the user blocked the bot",
    "give_up": "Telegram refused it",
    "unsure": "it may have gone out already, and a nudge is never sent twice",
}
_NOT_FINAL = ("retry", "defer")  # the nudge comes again a moment later


def kind_name(kind: str, count: int = 1) -> str:
    """ "water nudge", "2 weekly check-ins": a kind of nudge as the page names it."""
    one, many = KIND_NAMES.get(kind, (f"{kind} nudge", f"{kind} nudges"))
    return one if count == 1 else many


def _counted(kind: str, count: int) -> str:
    return f"{count} {kind_name(kind, count)}"


def _why(action: str, kind: str) -> str:
    return _WHY.get((action, kind)) or _WHY.get(action) or action.replace("_", " ")


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@dataclass(frozen=True)
class MoveReport:
    """The nudges one move delivered or left out, in the order they fell due."""

    sent: tuple[tuple[str, int], ...] = ()  # (kind, count)
    skipped: tuple[tuple[str, str, int], ...] = ()  # (action, kind, count)
    pending: int = 0  # deferred or to be retried when the move ended

    @classmethod
    def of(cls, decisions: Iterable[NudgeDecision], user_id: int | None) -> MoveReport:
        """Count one user's decisions (everyone's with no user)."""
        mine = [d for d in decisions if user_id is None or d.user_id == user_id]
        sent = Counter(d.kind for d in mine if d.action == "sent")
        skipped = Counter((d.action, d.kind) for d in mine if d.action not in ("sent", *_NOT_FINAL))
        last = {(d.user_id, d.kind): d.action for d in mine}
        return cls(
            tuple(sent.items()),
            tuple((action, kind, n) for (action, kind), n in skipped.items()),
            sum(action in _NOT_FINAL for action in last.values()),
        )

    @property
    def sent_count(self) -> int:
        """How many nudges went out."""
        return sum(n for _, n in self.sent)

    def summary(self) -> str:
        """One line for the page's status: how many were delivered, skipped and why."""
        parts = []
        if self.sent:
            parts.append(_listed([_counted(kind, n) for kind, n in self.sent]) + " delivered")
        for action, kind, n in self.skipped:
            parts.append(f"{_counted(kind, n)} skipped: {_why(action, kind)}")
        if self.pending:
            parts.append(f"{self.pending} more in a moment")
        return "; ".join(parts) or "no nudge was due"

    def to_json(self) -> dict[str, object]:
        """The JSON the page reads."""
        return {
            "sent": [{"kind": kind, "count": n} for kind, n in self.sent],
            "skipped": [
                {"kind": kind, "count": n, "reason": action, "why": _why(action, kind)}
                for action, kind, n in self.skipped
            ],
            "pending": self.pending,
        }

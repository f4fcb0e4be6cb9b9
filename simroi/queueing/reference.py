"""The simpy reference engine: the FCFS queue with abandonment and shifts, as processes.

This is the readable specification of :func:`simroi.queueing.engine.serve_fcfs` (``engine =
"simpy"``). It simulates one trial at a time:

* a *contact* arrives, joins the FIFO queue and waits for an agent or for its patience to run out,
  whichever comes first (the SimPy bank-renege idiom); one that runs out of patience abandons and
  never occupies an agent;
* an *agent* (one per server) is on duty during its spans. While on duty and idle it waits for
  work; the *desk* (the automatic call distributor) hands the head of the queue to the agent that
  has been idle longest (ties: lowest index), skipping contacts that have abandoned. The agent
  serves for the contact's handle time. At the end of a span an idle agent goes off duty until
  its next span; a busy one finishes its contact first.

Within one instant, arrivals, service completions and shift changes come first; then the desk
hands out work; patience runs out last, so a contact whose wait equals its patience is answered.
The vectorized engine's ``wait <= patience`` and lowest-index tie-break say the same. Events are
placed on exactly the absolute time they name (see :class:`_At`), so agents that come on duty at
the same shift start are tied exactly, as they are in the vectorized engine.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Event, EventPriority

from simroi.queueing.roster import TrialShiftPattern
from simroi.queueing.shifts import QueueState, ShiftPattern, checked_batch

__all__ = ["serve_fcfs_simpy"]

# simpy processes the events of one instant by priority (URGENT = 0, NORMAL = 1), then in order.
_HAND_OUT = EventPriority(2)  # after every arrival, completion and shift change of the instant
_RENEGE = EventPriority(3)  # after the desk has handed out work


class _At(Event):
    """An event processed at the absolute time ``t``, exactly, with the given priority.

    simpy schedules at ``now + delay``; the delay is nudged so that sum lands on ``t`` itself
    (possible whenever ``0 ≤ now ≤ t``), so that times computed the same way in both engines —
    shift starts, completions ``start + handle``, deadlines ``arrival + patience`` — compare equal.
    """

    def __init__(self, env: simpy.Environment, t: float, priority: EventPriority = NORMAL):
        if not t >= env.now:
            raise ValueError(f"cannot schedule at {t} s: the clock is already at {env.now} s")
        super().__init__(env)
        self._ok = True
        self._value = None
        delay = t - env.now
        while env.now + delay < t:
            delay = math.nextafter(delay, math.inf)
        while env.now + delay > t:
            delay = math.nextafter(delay, -math.inf)
        env.schedule(self, priority, delay)


class _Desk:
    """The automatic call distributor: a FIFO queue of contacts and a pool of idle agents.

    ``free_at[k]`` and ``span_end[k]`` are agent *k*'s bookkeeping, in the same sense as
    :class:`~simroi.queueing.engine.QueueState`: for an idle agent, ``free_at`` is when it became
    free.
    """

    def __init__(
        self,
        env: simpy.Environment,
        free_at: np.ndarray,
        span_end: np.ndarray,
        handle_s: np.ndarray,
    ) -> None:
        self.env = env
        self.free_at = free_at.tolist()
        self.span_end = span_end.tolist()
        self.handle_s = handle_s
        self.start_s = np.full(handle_s.shape, np.nan)
        self.waiting: deque[tuple[int, Event]] = deque()
        self.abandoned: set[int] = set()
        self.idle: dict[int, Event] = {}
        self.unresolved = 0
        self._hand_out_pending = False

    def join(self, contact: int) -> Event:
        """A contact joins the queue; the returned event fires when an agent takes it."""
        answered = self.env.event()
        self.waiting.append((contact, answered))
        self._request_hand_out()
        return answered

    def give_up(self, contact: int) -> None:
        """The contact's patience ran out before an agent took it."""
        self.abandoned.add(contact)
        self.unresolved -= 1

    def wait_for_work(self, agent: int) -> Event:
        """An on-duty agent is idle; the returned event fires with the contact it is handed."""
        handed = self.env.event()
        self.idle[agent] = handed
        self._request_hand_out()
        return handed

    def go_off_duty(self, agent: int) -> None:
        self.idle.pop(agent, None)

    def _request_hand_out(self) -> None:
        if not self._hand_out_pending:
            self._hand_out_pending = True
            _At(self.env, self.env.now, _HAND_OUT).callbacks.append(self._hand_out)

    def _hand_out(self, _event: Event) -> None:
        """Hand the head of the queue to the longest-idle agent: one contact per event, so that
        an agent freed at this same instant (a zero handle time) is a candidate for the next."""
        self._hand_out_pending = False
        while self.waiting and self.waiting[0][0] in self.abandoned:
            self.waiting.popleft()
        if not (self.waiting and self.idle):
            return
        contact, answered = self.waiting.popleft()
        agent = min(self.idle, key=lambda k: (self.free_at[k], k))
        handed = self.idle.pop(agent)
        now = self.env.now
        self.start_s[contact] = now
        self.free_at[agent] = now + float(self.handle_s[contact])
        self.unresolved -= 1
        answered.succeed()
        handed.succeed(contact)
        self._request_hand_out()


def _arrivals(
    env: simpy.Environment,
    desk: _Desk,
    rows: np.ndarray,
    arrival_s: np.ndarray,
    patience_s: np.ndarray,
) -> Generator[Event, Any, None]:
    """Contacts arrive, in order."""
    for i in rows.tolist():
        yield _At(env, float(arrival_s[i]))
        env.process(_contact(env, desk, i, float(patience_s[i])))


def _contact(
    env: simpy.Environment, desk: _Desk, i: int, patience: float
) -> Generator[Event, Any, None]:
    """One contact: wait for an agent, or abandon when patience runs out (bank renege)."""
    answered = desk.join(i)
    if math.isinf(patience):
        yield answered
        return
    outcome = yield answered | _At(env, env.now + patience, _RENEGE)
    if answered not in outcome:
        desk.give_up(i)


def _agent(
    env: simpy.Environment, desk: _Desk, shifts: ShiftPattern, k: int
) -> Generator[Event, Any, None]:
    """One agent slot: on duty in its spans, serving one contact at a time."""
    while True:
        if math.isinf(desk.free_at[k]):
            return  # never on duty again
        if desk.free_at[k] > env.now:  # busy, or off duty until its next span starts
            yield _At(env, desk.free_at[k])
        if env.now >= desk.span_end[k]:  # the span is over: off duty until the next one
            start, end = shifts.next_spans([k], [env.now])
            desk.free_at[k] = max(desk.free_at[k], float(start[0]))
            desk.span_end[k] = float(end[0])
            continue
        handed = desk.wait_for_work(k)
        if math.isinf(desk.span_end[k]):
            yield handed
            continue
        outcome = yield handed | _At(env, desk.span_end[k])
        if handed not in outcome:
            desk.go_off_duty(k)
        # if handed a contact, the desk has set free_at to the end of its service


def serve_fcfs_simpy(
    arrival_s: np.ndarray,
    handle_s: np.ndarray,
    patience_s: np.ndarray,
    present: np.ndarray,
    shifts: ShiftPattern | TrialShiftPattern,
    state: QueueState,
) -> tuple[np.ndarray, QueueState]:
    """:func:`simroi.queueing.engine.serve_fcfs`, one trial at a time in a simpy Environment.

    A :class:`~simroi.queueing.roster.TrialShiftPattern` is read as each trial's own pattern.

    Same parameters, returns and semantics. Each trial runs until every one of its contacts has
    been answered or has abandoned (or no agent will ever be on duty again), so backlog carried
    past the last arrival is served, as in the vectorized engine.
    """
    arrival_s, handle_s, patience_s, present = checked_batch(
        arrival_s, handle_s, patience_s, present, shifts.servers, state
    )
    n, trials = arrival_s.shape
    start_s = np.full((n, trials), np.nan)
    new = state.copy()
    for trial in range(trials):
        rows = np.flatnonzero(present[:, trial])
        if rows.size == 0:
            continue
        env = simpy.Environment(initial_time=float(arrival_s[rows[0], trial]))
        desk = _Desk(env, new.free_at[:, trial], new.span_end[:, trial], handle_s[:, trial])
        desk.unresolved = rows.size
        env.process(_arrivals(env, desk, rows, arrival_s[:, trial], patience_s[:, trial]))
        own = shifts.for_trial(trial) if isinstance(shifts, TrialShiftPattern) else shifts
        for k in range(shifts.servers):
            env.process(_agent(env, desk, own, k))
        while desk.unresolved and env.peek() < math.inf:
            env.step()
        start_s[:, trial] = desk.start_s
        new.free_at[:, trial] = desk.free_at
        new.span_end[:, trial] = desk.span_end
    return start_s, new

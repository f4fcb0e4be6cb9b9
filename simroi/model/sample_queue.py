"""The sample's contacts through the queue engine, with repeats and retries, in rounds.

The simulation behind :func:`simroi.model.sample_data.simulate_sample_data` (see there for what
is simulated and why): first contacts, then the repeats and retries they send back, each round
the whole period through the compiled queue engine until nothing changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simroi.model.calendar import DAY, profile_inverse_cdf, shift_pattern
from simroi.model.draws import STANDARD_DRAW, handle_times, patience_times
from simroi.model.inputs import channel_inputs
from simroi.model.staffing import RuleStaffing
from simroi.queueing.kernels import serve
from simroi.queueing.roster import TrialShiftPattern
from simroi.queueing.shifts import QueueState, ShiftPattern
from simroi.randomness import Streams
from simroi.scenario.spec import ChannelSpec, Scenario

__all__ = [
    "INTERVAL_MINUTES",
    "KINDS",
    "MAX_ROUNDS",
    "REPEAT_DAYS",
    "WARM_DAYS",
    "Contacts",
    "simulate_contacts",
]

INTERVAL_MINUTES = 15
_SIZE = INTERVAL_MINUTES * 60
#: Days simulated before the window and dropped (whole weeks: day 0 stays a Monday), so the
#: window opens with the repeats, retries and backlog of the days before it.
WARM_DAYS = 14
#: A repeat or retry arrives on one of the next this many days after its contact.
REPEAT_DAYS = 7
#: Rounds of queue simulation at most (first contacts, then each generation of returns).
MAX_ROUNDS = 12
#: What a contact is: a first contact, a repeat (of an answered unresolved one) or a retry
#: (of an abandoned or ignored one); ``truth.json`` counts each per channel.
KINDS = ("first_contacts", "repeats", "retries")


@dataclass(frozen=True)
class Contacts:
    """One channel's simulated contacts in the window, shape (n,) each, by arrival."""

    arrival_s: np.ndarray
    answered: np.ndarray
    wait_s: np.ndarray
    handle_s: np.ndarray
    resolved: np.ndarray
    public: np.ndarray
    fast: np.ndarray
    experience: np.ndarray  # index into EXPERIENCE_CLASSES
    customer: np.ndarray  # customer number
    kind: np.ndarray  # index into KINDS
    agents: np.ndarray  # agents on queue in each interval of the sample, (intervals,)


class _Pool:
    """Every contact simulated so far, all channels, shape (n,) each: the first contacts and
    the repeats and retries created for them (working state of :func:`_simulate`)."""

    def __init__(self, **columns: np.ndarray) -> None:
        self.c = columns

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Append rows; their indices."""
        n = self.c["arrival"].size
        for key, value in columns.items():
            self.c[key] = np.concatenate([self.c[key], value])
        return np.arange(n, self.c["arrival"].size)


@dataclass(frozen=True)
class _Channel:
    """What a channel's contacts are simulated with."""

    spec: ChannelSpec
    inputs: Any
    shifts: ShiftPattern | TrialShiftPattern
    cdf: tuple[np.ndarray, np.ndarray]
    weekday: np.ndarray
    day: np.ndarray  # weekday factor × busyness of each day, then 1 after the period, (days,)
    routes: tuple[np.ndarray, np.ndarray]  # where its returning contacts go: indices, cum. shares
    retry: float  # share of its abandoned or ignored contacts that come back


def simulate_contacts(
    scenario: Scenario, values: dict[str, np.ndarray], days: int, streams: Streams
) -> dict[str, Contacts]:
    """Every channel's contacts in the window: first contacts, repeats and retries, in rounds."""
    names = list(scenario.channels)
    total = WARM_DAYS + days
    inputs = {c: channel_inputs(c, scenario, values) for c in names}
    forecast = _forecast(scenario, inputs)
    setup = []
    for i, c in enumerate(names):
        spec = scenario.channels[c]
        routes = spec.repeat_channels or {c: 1.0}
        setup.append(
            _Channel(
                spec,
                inputs[c],
                _shifts(c, spec, inputs[c], forecast[i]),
                profile_inverse_cdf(np.atleast_2d(inputs[c].intraday_shares)[0]),
                np.atleast_2d(inputs[c].weekday_factors)[0],
                _days(c, spec, inputs[c], total, streams),
                (
                    np.array([names.index(t) for t in routes]),
                    np.cumsum(list(routes.values())),
                ),
                float(values[f"channels.{c}.retry_share"][0]),
            )
        )
    base = int(values["customers.active_customers"][0])
    pool = _Pool(**_first_contacts(names, setup, total, base, streams))
    rng = streams.rng("sample", "repeat")
    active = pool.c["kind"] == 0
    out: dict[str, np.ndarray] = {}
    for round_ in range(MAX_ROUNDS):
        out = _serve(setup, pool, active, total, out)
        retry = np.array([s.retry for s in setup])[pool.c["channel"]]
        back = active & np.where(out["answered"], ~out["resolved"], pool.c["u"][:, 2] < retry)
        new = np.flatnonzero(back & (pool.c["child"] == -1))
        if new.size:
            pool.c["child"][new] = _children(pool, new, out["answered"][new], setup, total, rng)
        grown = pool.c["arrival"].size - active.size
        active, back = np.pad(active, (0, grown)), np.pad(back, (0, grown))
        following = pool.c["kind"] == 0
        following[pool.c["child"][back & (pool.c["child"] >= 0)]] = True
        if np.array_equal(following, active) or round_ == MAX_ROUNDS - 1:
            break
        out["changed"] = np.bincount(
            pool.c["channel"][following != active], minlength=len(setup)
        ).astype(bool)
        active = following
    window = active & (pool.c["arrival"] >= WARM_DAYS * DAY)
    result = {}
    for i, c in enumerate(names):
        rows = np.flatnonzero(window & (pool.c["channel"] == i))
        rows = rows[np.argsort(pool.c["arrival"][rows], kind="stable")]
        s = setup[i]
        answered, wait, handle = out["answered"][rows], out["wait"][rows], out["handle"][rows]
        resolved = out["resolved"][rows]
        response = wait + (0.0 if s.spec.kind == "realtime" else handle)
        sla = s.spec.sla_threshold_seconds
        fast = answered & (response <= (math.inf if sla is None else sla))
        experience = np.select(
            [resolved & fast, resolved, answered, s.spec.kind == "realtime"],
            [0, 1, 2, 3],
            default=4,
        )
        result[c] = Contacts(
            pool.c["arrival"][rows] - WARM_DAYS * DAY,
            answered,
            wait,
            handle,
            resolved,
            pool.c["u"][rows, 1] < float(s.inputs.public_share[0]),
            fast,
            experience,
            pool.c["customer"][rows],
            pool.c["kind"][rows],
            _agents(s.shifts, s.spec.concurrency, total)[WARM_DAYS * 86_400 // _SIZE :],
        )
    return result


def _first_contacts(
    names: list[str], setup: list[_Channel], total: int, base: int, streams: Streams
) -> dict[str, np.ndarray]:
    """Each channel's first contacts over ``total`` days: Poisson a day with the weekday factor
    and a gamma busyness, times from the intraday profile; their draws and customers."""
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("channel", "arrival", "zh", "zp", "u")}
    for i, (name, s) in enumerate(zip(names, setup, strict=True)):
        rng = {p: streams.rng("sample", p, name) for p in ("count", "time", "marks")}
        rate = float(s.inputs.first_contacts_per_day[0]) * s.day[:total]
        day = np.repeat(np.arange(total), rng["count"].poisson(rate))
        within = np.interp(rng["time"].random(day.size), *s.cdf)
        columns["arrival"].append(np.sort(day * DAY + within))
        columns["channel"].append(np.full(day.size, i))
        zh, zp = _z(s.spec, day.size, streams.rng("sample", "draws", name))
        columns["zh"].append(zh)
        columns["zp"].append(zp)
        columns["u"].append(rng["marks"].random((day.size, 3)))
    out = {k: np.concatenate(v) for k, v in columns.items()}
    n = out["arrival"].size
    out["customer"] = streams.rng("sample", "customer").integers(1, base + 1, n)
    out["kind"] = np.zeros(n, dtype=np.int64)
    out["child"] = np.full(n, -1)
    return out


def _days(name: str, spec: ChannelSpec, inputs: Any, total: int, streams: Streams) -> np.ndarray:
    """Each day's weekday factor × a gamma busyness (mean 1, the channel's cv) over ``total``
    days, then ones for the :data:`REPEAT_DAYS` after, shape (total + REPEAT_DAYS,)."""
    cv = float(inputs.busyness_cv[0])
    busy = np.ones(total)
    if cv > 0:
        shape = 1.0 / cv**2
        busy = streams.rng("sample", "busyness", name).gamma(shape, 1.0 / shape, total)
    weekday = np.atleast_2d(inputs.weekday_factors)[0][np.arange(total + REPEAT_DAYS) % 7]
    return weekday * np.concatenate([busy, np.ones(REPEAT_DAYS)])


def _z(spec: ChannelSpec, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Standard draws of ``n`` contacts' handle times and patience on a channel."""
    zh = _standard(rng, STANDARD_DRAW[spec.handle_time_dist], n)
    kind = "normal" if spec.patience_dist == "lognormal" else "exponential"
    return zh, _standard(rng, kind, n)


def _children(
    pool: _Pool,
    parents: np.ndarray,
    answered: np.ndarray,
    setup: list[_Channel],
    total: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Create the contacts ``parents`` come back with (a repeat of an answered one, else a
    retry): the channel by the parent channel's ``repeat_channels``, the day one of the next
    :data:`REPEAT_DAYS` weighted by that channel's weekday factor × busyness, the time of day
    from its intraday profile. Their pool indices, −2 where they would arrive after the window."""
    n = parents.size
    u = rng.random((n, 3))
    channel = np.empty(n, dtype=np.int64)
    for i, s in enumerate(setup):
        mine = pool.c["channel"][parents] == i
        pick = np.searchsorted(s.routes[1], u[mine, 0] * s.routes[1][-1], side="right")
        channel[mine] = s.routes[0][np.minimum(pick, s.routes[0].size - 1)]
    day = np.floor(pool.c["arrival"][parents] / DAY).astype(np.int64)
    arrival = np.empty(n)
    zh, zp = np.empty(n), np.empty(n)
    for i, s in enumerate(setup):
        mine = channel == i
        ahead = day[mine, None] + np.arange(1, REPEAT_DAYS + 1)[None, :]
        weights = np.cumsum(s.day[ahead], axis=1)
        k = (weights < u[mine, 1:2] * weights[:, -1:]).sum(axis=1)
        arrival[mine] = ahead[np.arange(k.size), k] * DAY + np.interp(u[mine, 2], *s.cdf)
        zh[mine], zp[mine] = _z(s.spec, int(mine.sum()), rng)
    inside = arrival < total * DAY
    made = pool.add(
        channel=channel[inside],
        arrival=arrival[inside],
        zh=zh[inside],
        zp=zp[inside],
        u=rng.random((int(inside.sum()), 3)),
        customer=pool.c["customer"][parents][inside],
        kind=np.where(answered[inside], 1, 2),
        child=np.full(int(inside.sum()), -1),
    )
    index = np.full(n, -2)
    index[inside] = made
    return index


def _serve(
    setup: list[_Channel],
    pool: _Pool,
    active: np.ndarray,
    total: int,
    last: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Every channel's ``active`` contacts through the queue engine on one clock (backlogs
    carry from day to day): answered, wait, handle and resolved of each pool row (n,). A
    channel whose contacts did not change since the ``last`` round keeps its outcomes."""
    n = pool.c["arrival"].size
    out = {"answered": np.zeros(n, dtype=bool), "wait": np.zeros(n), "handle": np.zeros(n)}
    for i, s in enumerate(setup):
        if last and not last["changed"][i]:
            rows = np.flatnonzero(pool.c["channel"][: last["wait"].size] == i)
            for key in out:
                out[key][rows] = last[key][rows]
            continue
        rows = np.flatnonzero(active & (pool.c["channel"] == i))
        rows = rows[np.argsort(pool.c["arrival"][rows], kind="stable")]
        arrival = pool.c["arrival"][rows]
        handle = np.empty((rows.size, 1))
        mean = s.inputs.handle_mean_s * s.inputs.slot_slowdown
        dist = s.spec.handle_time_dist
        handle_times(pool.c["zh"][rows, None], mean, s.inputs.handle_cv, dist, handle)
        if s.spec.kind == "realtime":
            patience = patience_times(
                pool.c["zp"][rows, None],
                s.inputs.patience_mean_s,
                s.spec.patience_dist,
                s.inputs.patience_shape,
            )
        else:
            patience = np.full((rows.size, 1), float(s.inputs.patience_mean_s[0]))
        state = (
            s.shifts.initial_state(0.0)
            if isinstance(s.shifts, TrialShiftPattern)
            else QueueState.initial(s.shifts, 1)
        )
        present = np.ones((rows.size, 1), dtype=bool)
        queue = (arrival[:, None], handle, patience, present, s.shifts, state)
        start, _ = serve("compiled", *queue)  # one long trial: the compiled loop is fastest
        start, patience = start[:, 0], patience[:, 0]
        wait = start - arrival
        answered = np.isfinite(start) & (wait <= patience)
        out["answered"][rows] = answered
        out["wait"][rows] = np.where(
            answered, wait, np.minimum(patience, (total + 365) * DAY - arrival)
        )
        out["handle"][rows] = handle[:, 0]
    fcr = np.array([float(s.inputs.fcr[0]) for s in setup])[pool.c["channel"]]
    out["resolved"] = out["answered"] & (pool.c["u"][:, 0] < fcr)
    return out


def _forecast(scenario: Scenario, inputs: dict[str, Any]) -> np.ndarray:
    """Contacts a day each channel's staffing rule is sized to: the steady state of first
    contacts plus the repeats of the unresolved, ``T = F + M T`` (retries left out)."""
    names = list(scenario.channels)
    m = np.zeros((len(names), len(names)))
    for j, c in enumerate(names):
        for target, share in (scenario.channels[c].repeat_channels or {c: 1.0}).items():
            m[names.index(target), j] += (1.0 - float(inputs[c].fcr[0])) * share
    first = np.array([float(inputs[c].first_contacts_per_day[0]) for c in names])
    return np.linalg.solve(np.eye(len(names)) - m, first)


def _standard(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal(n)
    if kind == "exponential":
        return rng.standard_exponential(n)
    return rng.random(n)


def _shifts(
    name: str, spec: ChannelSpec, inputs: Any, forecast: float
) -> ShiftPattern | TrialShiftPattern:
    """The channel's agents on duty: its fixed team or schedule, or its staffing rule's roster
    for ``forecast`` contacts a day (see :func:`_forecast`; the sample has no deflection)."""
    if spec.staffing_rule is None:
        return shift_pattern(spec)
    rule = RuleStaffing(spec, inputs, None, name)
    return rule.roster(rule.shifts(rule.agents(np.array([forecast]))))


def _agents(shifts: ShiftPattern | TrialShiftPattern, concurrency: int, days: int) -> np.ndarray:
    """Mean agents on queue in each interval of the sample: slot-seconds on duty / interval /
    slots per agent, shape (days × intervals a day,)."""
    size = INTERVAL_MINUTES * 60.0
    lo = np.arange(0.0, days * DAY, size)
    if isinstance(shifts, TrialShiftPattern):
        week = lo % (7 * DAY)
        a, b = shifts.interval_starts[None, :], shifts.interval_ends[None, :]
        overlap = np.clip(
            np.minimum(b, week[:, None] + size) - np.maximum(a, week[:, None]), 0, None
        )
        slots = overlap @ shifts.agents[0].astype(float) * shifts.slots_per_agent
    else:
        period = shifts.period_seconds
        t = lo % period if math.isfinite(period) else lo
        starts, ends = shifts.starts.ravel(), shifts.ends.ravel()
        on = np.isfinite(starts)
        starts, ends = starts[on], ends[on]
        overlap = np.minimum(ends[None, :], t[:, None] + size) - np.maximum(
            starts[None, :], t[:, None]
        )
        slots = np.clip(overlap, 0, None).sum(axis=1)
    return slots / size / concurrency

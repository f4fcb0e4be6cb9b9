"""The contact flow of one channel for one month, for every trial of a block at once.

Time. Economics runs in months; contacts run in continuous time. Each month is represented by a
few *sampled days* (``simulation.sampled_days_per_month``, plus up to as many event days when an
event falls in the month). Sampled days are laid end to end on one absolute clock (t = 0 is a
Monday 00:00), so the queue state — busy agents, the email and social backlog — carries from one
sampled day to the next and from one month to the next. Counts from the sampled days are scaled to
the month: a normal day stands for ``(30.44 − event days) / sampled days`` days, corrected for its
day-of-week factor so the month's volume is unbiased; an event day stands for
``event days / sampled event days``. ``tests/model/test_contacts.py`` checks that sampling agrees
with simulating every day.

Arrivals. A day's rate is customers × contacts per customer per year / 365.25 × day-of-week
factor × a gamma "busyness" factor with mean 1 (overdispersion, Avramidis et al. 2004) × event
multiplier, plus the repeat contacts sent back by last month; times within the day follow the
hour-of-day profile (an inhomogeneous Poisson process, Brown et al. 2005). The day is simulated in
two parts cut at the channel's closing time: each part's count is Poisson on its share of the
profile, drawn by inversion, and at the cut the engine moves every finished shift for all trials
at once. Contact k of a part (by rank)
gets draw k of every per-contact stream of that part, from its trial's region of the stream
(:func:`draw_by_groups`): a scenario with more volume has the same first contacts plus more, so
program, baseline and sweep points share their customers (common random numbers).

Layout. Worlds (program, baseline) that share a channel's sampled days share its draws and sit
side by side on the trial axis, interleaved; the model orders trials by customers, so a
part's contacts form a staircase over the trials (:func:`staircase`) and the padding after each
trial's last contact is neither queued nor counted, and drawn only up to the busiest trial of
each column group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simroi.errors import ScenarioError
from simroi.model.books import Books
from simroi.model.calendar import (
    DAY,
    MonthPlan,
    calendar_weights,
    clock_map,
    day_cuts,
    day_weights,
    on_duty_slot_seconds,
    part_profile,
    part_shares,
    profile_inverse_cdf,
)
from simroi.model.draws import STANDARD_DRAW, handle_times, lognormal_parameters, patience_times
from simroi.model.outcomes import MONTH_FIELDS, ChannelMonth, month_outcomes
from simroi.queueing.contact_draws import draw_by_groups, staircase
from simroi.queueing.engines import normalize_engine
from simroi.queueing.kernels import serve
from simroi.queueing.roster import TrialShiftPattern, side_by_side
from simroi.queueing.shifts import QueueState, ShiftPattern
from simroi.randomness import Streams
from simroi.scenario.quantiles import poisson_ppf
from simroi.scenario.spec import (
    ChannelSpec,
)

__all__ = [
    "MAX_CONTACT_SLOTS",
    "ChannelInputs",
    "ChannelLoad",
    "forecast_contacts_per_day",
    "simulate_channel_month",
]

#: Most contact slots (contacts on a simulated day × trials in the block, summed over the month's
#: simulated days) one channel may hold at once: about 5 GB of working memory. The bundled
#: outage scenario peaks near 2e7; beyond the limit the run stops with advice instead of
#: exhausting memory.
MAX_CONTACT_SLOTS = 30_000_000


@dataclass(frozen=True)
class ChannelInputs:
    """One channel's per-trial inputs for a block: arrays of shape (trials,), but the profile's
    shares and the weekday factors, which are the channel's own — (intervals,) and (7,) — or,
    when uncertain, each trial's — (trials, intervals) and (trials, 7); see
    :mod:`simroi.model.calendar`."""

    first_contacts_per_day: np.ndarray  # at the month's customer base, before deflection
    handle_mean_s: np.ndarray
    handle_cv: np.ndarray
    patience_mean_s: np.ndarray  # +inf: never abandons
    fcr: np.ndarray
    public_share: np.ndarray
    busyness_cv: np.ndarray
    slot_slowdown: np.ndarray  # handle time multiplier per conversation from concurrency
    patience_shape: np.ndarray  # weibull shape or lognormal sigma of patience
    intraday_shares: np.ndarray  # each interval's share of the day's arrivals
    weekday_factors: np.ndarray  # volume by weekday, Monday first, mean 1 over the week


@dataclass(frozen=True)
class ChannelLoad:
    """One world's side of a channel for one month (a world is the program or its baseline).

    ``volume_factor`` is customers now / customers at the start, ``repeats_per_day`` the repeat
    contacts sent back by earlier months, ``deflected_share`` the share of first contacts
    deflected before they reach the queue (all (trials,)); ``state`` is the queue carried from
    the previous month, ``books`` what its outcomes carried (:mod:`simroi.model.books`; None
    before the first month).
    """

    spec: ChannelSpec
    inputs: ChannelInputs
    plan: MonthPlan
    volume_factor: np.ndarray
    repeats_per_day: np.ndarray
    deflected_share: np.ndarray
    state: QueueState
    shifts: ShiftPattern | TrialShiftPattern
    books: Books | None = None


def simulate_channel_month(
    name: str,
    loads: list[ChannelLoad],
    *,
    streams: Streams,
    engine: str = "compiled",
) -> list[tuple[ChannelMonth, QueueState]]:
    """Simulate one channel over one month's sampled days, for every world and trial of a block.

    Streams are keyed by purpose, channel, day and part of the day, never by world, so worlds
    with the same sampled days and closing time would draw identical numbers: they share one set
    of draws, and worlds whose shifts agree go through the queue engine together, side by side on
    the trial axis (twice the width, half the engine steps). Returns one (outcome, new state) per
    load, in order.
    """
    results: list[tuple[ChannelMonth, QueueState] | None] = [None] * len(loads)
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, load in enumerate(loads):
        plan = load.plan
        cuts = day_cuts(load.spec)
        key = (plan.day_index.tobytes(), plan.sampled, plan.normal_days, plan.event_days, cuts)
        groups.setdefault(key, []).append(i)
    for members in groups.values():
        cuts = day_cuts(loads[members[0]].spec)
        counts = [_day_counts(name, loads[i], streams, cuts) for i in members]
        rows = sum(
            int(np.max([c.max(axis=1, initial=0) for c in day], axis=0).sum())
            for day in zip(*counts, strict=True)
        )
        if len(members) > 1 and rows * len(members) * loads[0].volume_factor.size > (
            MAX_CONTACT_SLOTS
        ):
            # Too wide to hold side by side: one world at a time (same numbers, less memory).
            for i, c in zip(members, counts, strict=True):
                (results[i],) = _simulate_shared(name, [loads[i]], [c], cuts, streams, engine)
            continue
        members_loads = [loads[i] for i in members]
        shared = _simulate_shared(name, members_loads, counts, cuts, streams, engine)
        for i, result in zip(members, shared, strict=True):
            results[i] = result
    return [r for r in results if r is not None]


def forecast_contacts_per_day(
    inputs: ChannelInputs,
    volume_factor: np.ndarray,
    deflected_share: np.ndarray,
    repeats_per_day: np.ndarray,
) -> np.ndarray:
    """Expected contacts a day at an average weekday, per trial: the rate of the contact flow
    before its busyness and events (what staffing rules forecast, :mod:`simroi.model.staffing`)."""
    return inputs.first_contacts_per_day * volume_factor * (1.0 - deflected_share) + repeats_per_day


def _day_counts(
    name: str, load: ChannelLoad, streams: Streams, cuts: tuple[tuple[float, ...], ...]
) -> list[np.ndarray]:
    """Contacts per part of each sampled day of the month, per trial: (parts, trials) a day.

    A day's rate is Poisson with a gamma busyness; its parts (``cuts``) are independent Poisson
    counts with the rate's share of the day's profile, drawn by inversion.
    """
    inputs, plan = load.inputs, load.plan
    trials = load.volume_factor.shape[0]
    weekday = inputs.weekday_factors  # (7,), or (trials, 7) per trial
    cum, edges = profile_inverse_cdf(inputs.intraday_shares)
    rate = forecast_contacts_per_day(
        inputs, load.volume_factor, load.deflected_share, load.repeats_per_day
    )
    cv = inputs.busyness_cv
    shape = np.where(cv > 0, 1.0 / np.maximum(cv, 1e-12) ** 2, np.inf)
    varies = np.isfinite(shape)
    counts = []
    held = 0
    for j, day in enumerate(plan.day_index):
        key = (name, int(day))
        busy = np.ones(trials)
        if varies.any():
            draw = streams.rng("busyness", *key).standard_gamma(np.where(varies, shape, 1.0))
            busy = np.where(varies, draw / np.where(varies, shape, 1.0), 1.0)
        lam = rate * weekday[..., plan.day_index[j] % 7] * busy * plan.multiplier[name][j]
        if not np.isfinite(lam).all() or float(lam.max(initial=0.0)) > MAX_CONTACT_SLOTS:
            _too_many_contacts(name, float(np.nan_to_num(lam, nan=np.inf).max()), trials)
        share = part_shares(cum, edges, cuts[int(day) % 7])  # (parts,) or (parts, trials)
        parts = share.shape[0]
        u = streams.rng("count", *key).random((parts, trials))
        count = poisson_ppf(u, share.reshape(parts, -1) * lam[None, :])
        slots = int(count.max(axis=1, initial=0).sum())
        held += (slots + parts) * trials
        if held > MAX_CONTACT_SLOTS:
            _too_many_contacts(name, slots, trials)
        counts.append(count)
    return counts


def _simulate_shared(
    name: str,
    loads: list[ChannelLoad],
    counts: list[list[np.ndarray]],
    cuts: tuple[tuple[float, ...], ...],
    streams: Streams,
    engine: str,
) -> list[tuple[ChannelMonth, QueueState]]:
    """Worlds with the same sampled days, side by side: world *l* owns columns l, l + L, l + 2L …

    Each part of a day comes out sorted: the order statistics of `count` uniforms are the
    normalized partial sums of count + 1 exponentials. Contact k of a part (by rank) gets the
    k-th draw of every per-contact stream of that part, so worlds with a little more or less
    volume still share their contacts (common random numbers by rank).
    """
    plan = loads[0].plan
    trials = loads[0].volume_factor.shape[0]
    worlds = len(loads)
    width = trials * worlds
    compiled = normalize_engine(engine) == "compiled"

    def lanes(i: int, n: int) -> slice:
        """World i's columns for its first n trials: worlds are interleaved, trial-major."""
        return slice(i, i + worlds * n, worlds)

    # Rows run day by day and, within a day, part by part (see day_cuts).
    part_slots = [
        np.max([c[j].max(axis=1, initial=0) for c in counts], axis=0).tolist()
        for j in range(plan.day_index.size)
    ]
    rows = int(sum(sum(day) for day in part_slots))
    # Only the staircase of each day (see staircase) is filled. The marks start False, which
    # the engines and the outcomes read as padding (the numpy engine counts a row's present
    # marks across all its columns). Times are written in every cell of the staircase, its
    # padding too, and read nowhere else: they start unwritten (no pass to zero them).
    arrival = _times(rows, width)
    present = np.zeros((rows, width), dtype=bool)
    handle = _times(rows, width)
    resolved_mark = np.zeros((rows, width), dtype=bool)
    public_mark = np.zeros((rows, width), dtype=bool)
    realtime = [load.spec.kind == "realtime" for load in loads]
    public = [bool((load.inputs.public_share > 0).any()) for load in loads]
    # Per-contact standard draws, made once and shared by every world; turned into handle
    # times, patience and marks per world once the month's rows are filled. Each column group
    # draws from its own region of the stream (draw_by_groups), so that contact k of trial t
    # gets the same numbers whatever the other trials' volumes (common random numbers by rank).
    z_handle = {STANDARD_DRAW[load.spec.handle_time_dist] for load in loads}
    z_patience = {
        "normal" if load.spec.patience_dist == "lognormal" else "exponential"
        for load, rt in zip(loads, realtime, strict=True)
        if rt
    }
    draws = {("handle", k): np.empty((rows, trials)) for k in z_handle}
    draws |= {("patience", k): np.empty((rows, trials)) for k in z_patience}
    draws["resolve", "uniform"] = np.empty((rows, trials))
    if any(public):
        draws["public", "uniform"] = np.empty((rows, trials))
    # Month days each sampled day stands for, per day and column.
    days = plan.day_index.size
    day_weight = np.stack(
        [
            np.broadcast_to(day_weights(plan, load.inputs.weekday_factors).reshape(days, -1),
                            (days, trials))
            for load in loads
        ],
        axis=2,
    ).reshape(days, width)  # fmt: skip
    inverse = [profile_inverse_cdf(load.inputs.intraday_shares) for load in loads]
    day_rows = []
    day_pieces: list[list[tuple[int, int, int]]] = []
    moves = []
    r0 = 0
    for j, day in enumerate(plan.day_index):
        first = r0
        bounds = [0.0, *cuts[int(day) % 7], DAY]
        day_pieces.append([])
        for part, slots in enumerate(part_slots[j]):
            if slots == 0:
                continue
            # Nobody in these rows arrives before the part begins: every slot whose shift has
            # ended moves to its next one, for all trials at once.
            moves.append((r0, day * DAY + bounds[part]))
            key = (name, int(day), part)
            # Row count of column t holds its total (the partial sum of count + 1 exponentials).
            steps = staircase(np.max([c[j][part] for c in counts], axis=0) + 1)
            gaps = np.empty((slots + 1, trials))
            draw_by_groups(streams.rng("gaps", *key), "exponential", gaps, steps, compiled=compiled)
            pieces = [(lo, min(hi, slots), n) for lo, hi, n in steps if lo < slots]
            # The inverse CDF of each world's profile, restricted to the part and rescaled to
            # [0, 1], on the run's clock: order statistics map straight to arrival times.
            span = bounds[part : part + 2]
            _place_part(
                gaps, steps, pieces, [c[j][part] for c in counts],
                [part_profile(cum, edges, span, day * DAY) for cum, edges in inverse],
                r0, (arrival, present), engine,
            )  # fmt: skip
            for (purpose, kind), out in draws.items():
                draw_by_groups(
                    streams.rng(purpose, *key), kind, out[r0 : r0 + slots], pieces,
                    compiled=compiled,
                )  # fmt: skip
            day_pieces[-1] += [(r0 + lo, r0 + hi, n) for lo, hi, n in pieces]
            r0 += slots
        day_rows.append(slice(first, r0))
    month_pieces = [p for day in day_pieces for p in day]
    patience = _times(rows, width) if any(realtime) else None
    tables = [t for t in (handle, patience, resolved_mark, public_mark) if t is not None]
    # A world whose per-contact inputs are those of an earlier one (program and baseline
    # usually differ in staffing and volume, not in handle times) gets the same numbers: the
    # numpy engine copies them, the compiled one writes them to every such world at once.
    firsts: dict[tuple[object, ...], int] = {}
    twins = [firsts.setdefault(_contact_key(load), i) for i, load in enumerate(loads)]
    for i, load in enumerate(loads):
        spec, inputs = load.spec, load.inputs
        twin = twins[i]
        if compiled:
            if twin == i:
                numbers = (handle, patience, resolved_mark, public_mark)
                sharing = [w for w in range(worlds) if twins[w] == i]
                _numbers_compiled(load, (sharing, worlds), month_pieces, draws, realtime[i],
                                  public[i], numbers)  # fmt: skip
            continue
        z = draws["handle", STANDARD_DRAW[spec.handle_time_dist]]
        for lo, hi, n in month_pieces:
            here = (slice(lo, hi), lanes(i, n))
            if twin != i:
                for table in tables:
                    table[here] = table[lo:hi, lanes(twin, n)]
                continue
            # Concurrency slows each conversation: a scale factor on the mean handle time.
            mean = inputs.handle_mean_s[:n] * inputs.slot_slowdown[:n]
            handle_times(
                z[lo:hi, :n], mean, inputs.handle_cv[:n], spec.handle_time_dist, handle[here]
            )
            if patience is not None:
                if realtime[i]:
                    patience[here] = _patience(load, draws, (lo, hi, n))
                else:
                    patience[here] = inputs.patience_mean_s[:n]
            np.less(draws["resolve", "uniform"][lo:hi, :n], inputs.fcr[:n], out=resolved_mark[here])
            if public[i]:
                u = draws["public", "uniform"][lo:hi, :n]
                np.less(u, inputs.public_share[:n], out=public_mark[here])
    # Per column: a deferrable channel's deadline (ignore_after_hours; +inf: none).
    means = np.stack([load.inputs.patience_mean_s for load in loads], axis=1).reshape(width)
    if patience is None:
        patience = np.broadcast_to(means, (rows, width))
    month_end = (int(plan.day_index[-1]) + 1) * DAY  # sampled_days_per_month ≥ 1
    # Worlds go through the engine together when they all queue alike; else one by one.
    together: list[tuple[list[int], slice]] = [(list(range(worlds)), slice(None))]
    if len({_queue_key(load) for load in loads}) > 1:
        together = [([i], slice(i, None, worlds)) for i in range(worlds)]
    results: dict[int, tuple[ChannelMonth, QueueState]] = {}
    for members, columns in together:
        lead = loads[members[0]]
        size = len(members)
        shifts, state = side_by_side(
            [loads[i].shifts for i in members], [loads[i].state for i in members]
        )
        # A world served alone has its columns (one in `worlds`) copied once, for the queue and
        # the tallies alike; a patience the same in every row stays one row (as engines read it).
        mine = [
            t[:, columns] if t.strides[0] == 0 or size == worlds else t[:, columns].copy()
            for t in (arrival, handle, patience, present, resolved_mark, public_mark)
        ]
        arrival_w, handle_w, patience_w, present_w, resolved_w, public_w = mine
        active = [(lo, hi, size * n) for lo, hi, n in month_pieces]
        start, state = serve(
            engine, arrival_w, handle_w, patience_w, present_w, shifts, state, moves=moves,
            active=active,
        )  # fmt: skip
        books = [loads[i].books or Books.empty(trials) for i in members]
        outcome = month_outcomes(
            lead.spec,
            [[(lo, hi, 0, size * n) for lo, hi, n in pieces] for pieces in day_pieces],
            day_weight[:, columns],
            arrival_w,
            start,
            handle_w,
            present_w,
            resolved_w,
            public_w,
            month_end,
            days=plan.day_index,
            patience_s=means[columns],
            on_duty_s=on_duty_slot_seconds(shifts, plan.day_index),
            calendar_weight=calendar_weights(plan),
            books=Books.side_by_side(books),
            horizon_end_s=plan.horizon_end_s,
            engine=engine,
        )
        for j, i in enumerate(members):
            own = slice(j, None, size)
            fields = {f: getattr(outcome, f)[own] for f in MONTH_FIELDS}
            carried = outcome.books.world(j, size) if outcome.books is not None else None
            results[i] = (
                ChannelMonth(**fields, books=carried),
                QueueState(state.free_at[:, own], state.span_end[:, own]),
            )
    return [results[i] for i in range(worlds)]


def _times(rows: int, width: int) -> np.ndarray:
    """A month's table of per-contact times, (rows, width) seconds, its cells not yet written
    (a test fills them with junk to show that no cell outside the staircase is read)."""
    return np.empty((rows, width))


def _numbers_compiled(
    load: ChannelLoad,
    lanes: tuple[list[int], int],
    pieces: list[tuple[int, int, int]],
    draws: dict[tuple[str, str], np.ndarray],
    realtime: bool,
    public: bool,
    tables: tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray],
) -> None:
    """The handle times, patience and marks of the worlds ``lanes = (targets, worlds)`` that
    share ``load``'s per-contact inputs, on the compiled engine: the numbers the numpy loop of
    :func:`_simulate_shared` makes, by one compiled pass
    (:func:`simroi.model.compiled.contact_numbers`) for the arithmetic, then numpy for what
    calls numpy's own vector code (exp of a lognormal, a gamma's or Weibull's transforms)."""
    from simroi.model.compiled import contact_numbers  # numba: compiled runs only

    spec, inputs = load.spec, load.inputs
    targets, worlds = lanes
    handle, patience, resolved_mark, public_mark = tables
    none = np.zeros((0, 0))
    # Concurrency slows each conversation: a scale factor on the mean handle time.
    mean = inputs.handle_mean_s * inputs.slot_slowdown
    a, b, handle_kind = mean, mean, "mean_times"
    if spec.handle_time_dist == "lognormal":  # as draws.handle_times: exp(σ z + μ)
        (a, b), handle_kind = lognormal_parameters(mean, inputs.handle_cv), "scale_and_shift"
    elif spec.handle_time_dist != "exponential":
        handle_kind = "numpy"
    patience_kind = "none" if patience is None else "mean"
    if patience is not None and realtime:
        patience_kind = "mean_times" if spec.patience_dist == "exponential" else "numpy"
    z_patience = draws.get(("patience", "exponential"), none)
    contact_numbers(
        pieces, lanes, (handle_kind, patience_kind, public),
        (draws["handle", STANDARD_DRAW[spec.handle_time_dist]], z_patience,
         draws["resolve", "uniform"], draws.get(("public", "uniform"), none)),
        (a, b, inputs.patience_mean_s, inputs.fcr, inputs.public_share),
        (handle, none if patience is None else patience, resolved_mark, public_mark),
    )  # fmt: skip
    everyone = sorted(set(targets)) == list(range(worlds))
    for lo, hi, n in pieces:
        if handle_kind == "scale_and_shift":
            # Every world's columns of the piece at once where all worlds share these numbers
            # (one run of columns; numpy's exp gives the same bits for any stride, which
            # tests/model/test_compiled_model.py holds, the worlds made together or apart).
            runs = [(0, 1)] if everyone else [(w, worlds) for w in targets]
            for first, step in runs:
                here = (slice(lo, hi), slice(first, first + worlds * n, step))
                np.exp(handle[here], out=handle[here])
        # numpy's transforms (a gamma's inverse, a Weibull's power, a lognormal patience): made
        # once, then written to every world that shares them.
        made: dict[str, np.ndarray] = {}
        if handle_kind == "numpy":
            z = draws["handle", STANDARD_DRAW[spec.handle_time_dist]]
            made["handle"] = np.empty((hi - lo, n))
            handle_times(z[lo:hi, :n], mean[:n], inputs.handle_cv[:n], spec.handle_time_dist,
                         made["handle"])  # fmt: skip
        if patience is not None and patience_kind == "numpy":
            made["patience"] = _patience(load, draws, (lo, hi, n))
        for w in targets if made else ():
            here = (slice(lo, hi), slice(w, w + worlds * n, worlds))
            if "handle" in made:
                handle[here] = made["handle"]
            if "patience" in made and patience is not None:
                patience[here] = made["patience"]


def _patience(
    load: ChannelLoad, draws: dict[tuple[str, str], np.ndarray], piece: tuple[int, int, int]
) -> np.ndarray:
    """A real-time world's patience for the piece ``(lo, hi, n)`` of the month's rows, (hi − lo,
    n) seconds, from the patience draws (:func:`simroi.model.draws.patience_times`)."""
    spec, inputs = load.spec, load.inputs
    lo, hi, n = piece
    kind = "normal" if spec.patience_dist == "lognormal" else "exponential"
    return patience_times(
        draws["patience", kind][lo:hi, :n],
        inputs.patience_mean_s[:n],
        spec.patience_dist,
        inputs.patience_shape[:n],
    )


def _place_part(
    gaps: np.ndarray,
    steps: list[tuple[int, int, int]],
    pieces: list[tuple[int, int, int]],
    counts: list[np.ndarray],
    profiles: list[tuple[np.ndarray, ...]],
    row0: int,
    tables: tuple[np.ndarray, np.ndarray],
    engine: str,
) -> None:
    """One part of a day's arrival times and presence marks, for every world, from its gaps.

    ``gaps`` (slots + 1, trials) holds the part's exponential gaps over the staircase
    ``steps``; world *i* has ``counts[i]`` contacts per trial and the map to the clock
    ``profiles[i]`` (:func:`part_profile`). Rows ``row0 + lo : row0 + hi`` of ``tables``
    (arrival, present) get each piece ``(lo, hi, n)``, worlds interleaved. On the compiled
    engine the same operations run compiled (:mod:`simroi.model.compiled`): the same bits.
    """
    arrival, present = tables
    worlds = len(counts)
    if normalize_engine(engine) == "compiled":
        from simroi.model.compiled import partial_sums, place_arrivals  # numba: compiled runs

        sums = partial_sums(gaps, steps)
        for i, (count, profile) in enumerate(zip(counts, profiles, strict=True)):
            place_arrivals(sums, count, pieces, profile, (row0, i, worlds), arrival, present)
        return
    # Partial sums down each column, row by row over the staircase (numpy's cumsum along
    # axis 0 is several times slower); the same additions in the same order.
    sums = np.empty_like(gaps)
    sums[0] = gaps[0]
    for lo, hi, n in steps:
        for r in range(max(lo, 1), hi):
            np.add(sums[r - 1, :n], gaps[r, :n], out=sums[r, :n])
    every = np.arange(gaps.shape[1])
    for i, (count, profile) in enumerate(zip(counts, profiles, strict=True)):
        total = sums[count, every]  # row count of column t: the sum of count + 1 gaps
        to_clock = clock_map(profile)
        for lo, hi, n in pieces:
            lanes = slice(i, i + worlds * n, worlds)  # world i's columns, trial-major
            rank = np.arange(lo, hi)[:, None]
            np.less(rank, count[None, :n], out=present[row0 + lo : row0 + hi, lanes])
            # Padding rows (rank ≥ count) land after the part; the engine ignores them.
            fraction = sums[lo:hi, :n] / total[:n]
            arrival[row0 + lo : row0 + hi, lanes] = to_clock(fraction, n)


def _contact_key(load: ChannelLoad) -> tuple[object, ...]:
    """What must agree for two worlds' contacts to get the same handle time, patience and
    resolution and public marks from the same draws."""
    spec, inputs = load.spec, load.inputs
    arrays = (
        inputs.handle_mean_s,
        inputs.slot_slowdown,
        inputs.handle_cv,
        inputs.patience_mean_s,
        inputs.patience_shape,
        inputs.fcr,
        inputs.public_share,
    )
    dists = (spec.kind, spec.handle_time_dist, spec.patience_dist)
    return (*dists, *(a.tobytes() for a in arrays))


def _queue_key(load: ChannelLoad) -> tuple[object, ...]:
    """What must agree for worlds to share the engine: shifts, kind, SLA and response bands."""
    s = load.shifts
    kind, sla = load.spec.kind, load.spec.sla_threshold_seconds
    bands = (len(load.spec.response_value or []), load.spec.band_edges_seconds)
    if isinstance(s, TrialShiftPattern):  # rosters per trial queue alike on the same intervals
        intervals = (s.interval_starts.tobytes(), s.interval_ends.tobytes(), s.slots_per_agent)
        return ("roster", *intervals, kind, sla, bands)
    return (s.starts.tobytes(), s.ends.tobytes(), s.period_seconds, kind, sla, bands)


def _too_many_contacts(name: str, contacts: float, trials: int) -> None:
    """Refuse a month that would not fit in memory (rather than crash or silently drop it)."""
    amount = f"{contacts:,.0f}" if contacts < 1e12 else f"{contacts:.3g}"
    raise ScenarioError(
        f"channels.{name}: up to {amount} contacts on one simulated day × {trials} "
        f"trials in a block is more than simroi holds at once ({MAX_CONTACT_SLOTS:,} contact "
        "slots per channel and month); lower simulation.block_size, or check "
        "contacts_per_customer_per_year and customers.active_customers"
    )

"""Calibration: fit a scenario's inputs to the user's own data and write the calibrated scenario.

:func:`calibrate` runs every fit the data allows (:mod:`simroi.data.fit_arrivals`,
:mod:`simroi.data.fit_service`, :mod:`simroi.data.fit_outcomes`), per channel and for the
customer outcomes, and writes the base scenario with each fitted key replaced by its uncertain
input and source (:mod:`simroi.analysis.calibrated_scenario`). What the data cannot tell stays as
the base scenario has it, and the result says why.

**Volume.** The model's ``contacts_per_customer_per_year`` counts *first* contacts: it adds
repeat contacts (unresolved ones come back, by ``repeat_channels``) and retries (a share of the
abandoned and ignored) itself. An export's ``offered`` counts them all. So the observed daily
volume ``T`` is split with the model's steady state ``T = F + M·T``, where ``M[c, d]`` is the
share of channel *d*'s contacts that come back on channel *c*: ``(answered_d·(1 − fcr_d) +
retry_share_d·failed_d)·repeat_channels_d[c]`` (:func:`first_contact_shares`). The outcome
shares are the data's where it has them, FCR and retry share the fitted ones where fitted and
the scenario's means otherwise. The rate is per customer: with ``customers`` it is against that
count (which becomes ``customers.active_customers``); without, against the scenario's mean
customer count, so that the scenario simulates the observed volume — and the notes say so.

**Shares.** The intraday profile and the weekday factors are written with how sure they are,
``intraday_profile_concentration`` and ``weekday_factors_concentration``
(:mod:`simroi.data.fit_shares`), so each trial of the calibrated scenario draws its own; a
Weibull or lognormal patience shape is an uncertain input like the mean.

**Program and baseline**: see :mod:`simroi.analysis.calibrated_scenario` (fitted operational
numbers describe today's contact centre and go to the channels both worlds share).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from simroi.analysis.calibrated_scenario import (
    ScenarioEdit,
    WrittenScenario,
    write_calibrated_scenario,
)
from simroi.analysis.customer_count import check_customers, customer_count
from simroi.data.fit import LIMITS, FittedInput, Unfitted, normal_form
from simroi.data.fit_arrivals import (
    ArrivalFit,
    contacts_per_customer_per_year,
    fit_arrivals,
    intervals_from_contacts,
)
from simroi.data.fit_outcomes import (
    ChurnFit,
    fit_churn_multipliers,
    fit_fcr,
    fit_public_share,
    fit_retry_share,
)
from simroi.data.fit_service import (
    PatienceFit,
    fit_handle_time,
    fit_handle_time_intervals,
    fit_patience,
    fit_patience_intervals,
)
from simroi.data.frames import (
    ANSWERED,
    ContactLog,
    DataSet,
    DataSource,
    IntervalReport,
    file_name,
    unknown_channels,
)
from simroi.data.read import check_span
from simroi.errors import DataFileError, OutputError
from simroi.formatting import counted, json_ready
from simroi.randomness import Streams
from simroi.scenario.load import load_scenario
from simroi.scenario.quantity import as_distribution
from simroi.scenario.spec import EXPERIENCE_CLASSES, ChannelSpec, Scenario

__all__ = [
    "CONTACT_LOG_INTERVAL_MINUTES",
    "CalibrationResult",
    "ChannelFit",
    "calibrate",
    "first_contact_shares",
]

#: The interval a contact log is binned into for the intraday profile (a planner's interval).
CONTACT_LOG_INTERVAL_MINUTES = 15


@dataclass(frozen=True)
class ChannelFit:
    """What one channel's data gave, kept for the report and the plots.

    ``arrivals`` is the arrivals fit (profile, weekday factors, hours, busyness, daily totals and
    outliers); ``patience`` the censored patience fit of a realtime channel's contact log (with
    its Kaplan–Meier curve), else None; ``first_contact_share`` the share of the observed
    volume taken as first contacts (the rest repeats and retries).
    """

    channel: str
    arrivals: ArrivalFit | None
    patience: PatienceFit | None
    first_contact_share: float


@dataclass(frozen=True)
class CalibrationResult:
    """The fitted inputs, what could not be fitted and why, and the scenario written.

    Attributes
    ----------
    base : str
        The base scenario's file (``--into``).
    written : WrittenScenario
        The calibrated scenario file and its loaded form.
    sources : tuple of DataSource
        One per data file read.
    fitted : tuple of FittedInput
        Every input written, in channel order then the customer section.
    unfitted : tuple of Unfitted
        Every input the data could not tell, with the reason; the base's value is kept.
    channels : mapping of str to ChannelFit
        Per channel, the fits behind the plots.
    churn : ChurnFit or None
        Churn by experience class with the counts behind each multiplier.
    outliers : mapping of str to tuple of str
        Per channel, the ISO dates of days outside the fitted day-to-day range.
    notes : tuple of str
        What the reader must know: the customer count, repeats, orderings, baseline keys.
    customers : float
        The customer count the rates are per.
    """

    base: str
    written: WrittenScenario
    sources: tuple[DataSource, ...]
    fitted: tuple[FittedInput, ...]
    unfitted: tuple[Unfitted, ...]
    channels: Mapping[str, ChannelFit]
    churn: ChurnFit | None
    outliers: Mapping[str, tuple[str, ...]]
    notes: tuple[str, ...]
    customers: float = field(default=math.nan)

    def __repr__(self) -> str:
        lines = [
            f"CalibrationResult: {self.written.path}, {len(self.fitted)} fitted inputs, "
            f"{len(self.unfitted)} not fitted, from "
            + ", ".join(file_name(s.path) for s in self.sources)
        ]
        for fit in self.fitted:
            low, high = fit.interval90
            band = f" [{low:.4g}, {high:.4g}]" if fit.is_uncertain else ""
            value = f"{fit.value:.4g}" if isinstance(fit.value, float) else str(fit.value)
            lines.append(f"  {fit.scenario_key} = {value[:40]}{band}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The same content as the report, as JSON-ready data."""
        return json_ready(
            {
                "scenario": {
                    "base": self.base,
                    "written": str(self.written.path),
                    "name": self.written.loaded.name,
                },
                "data": [_source_json(s) for s in self.sources],
                "customers": self.customers,
                "fitted": [
                    {
                        "key": f.scenario_key,
                        "channel": f.channel,
                        "value": json_ready(f.value),
                        "interval90": [json_ready(x) for x in f.interval90],
                        "written": json_ready(f.distribution),
                        "method": f.method,
                        "n": f.n,
                        "source": f.source_text,
                        "note": f.note,
                    }
                    for f in self.fitted
                ],
                "not_fitted": [
                    {"key": u.scenario_key, "channel": u.channel, "reason": u.reason}
                    for u in self.unfitted
                ],
                "first_contact_share": {
                    c: fit.first_contact_share for c, fit in self.channels.items()
                },
                "churn": None if self.churn is None else _churn_json(self.churn),
                "outliers": {c: list(d) for c, d in self.outliers.items()},
                "notes": list(self.notes),
            }
        )


def _source_json(source: DataSource) -> dict[str, Any]:
    return {
        "file": str(source.path),
        "kind": source.kind,
        "rows": source.rows,
        "first": None if source.first is None else str(source.first),
        "last": None if source.last is None else str(source.last),
    }


def _churn_json(churn: ChurnFit) -> dict[str, Any]:
    rows = []
    for c in churn.classes:
        m = c.multiplier
        rows.append(
            {
                "experience": c.experience,
                "customers": c.customers,
                "churned": c.churned,
                "exposure_months": c.exposure_months,
                "monthly_hazard": c.monthly_hazard,
                "multiplier": json_ready(m.value) if isinstance(m, FittedInput) else None,
                "interval90": json_ready(m.interval90) if isinstance(m, FittedInput) else None,
            }
        )
    return {"reference": "none", "classes": rows, "note": churn.note}


# --- volume ------------------------------------------------------------------------------------


def first_contact_shares(
    observed_per_day: Mapping[str, float],
    first_per_day: Mapping[str, float],
    back_share: Mapping[str, float],
    repeat_channels: Mapping[str, Mapping[str, float]],
) -> dict[str, float]:
    """First contacts a day of the observed channels, from the model's steady state.

    Every channel's volume is its first contacts plus what comes back to it:
    ``T_c = F_c + Σ_d back_d · repeat_channels_d[c] · T_d``. For an observed channel ``T_c``
    is known and ``F_c`` wanted; for the others ``F_c`` is the scenario's and ``T_c`` follows.

    Parameters
    ----------
    observed_per_day : mapping
        Contacts a calendar day of each observed channel, all of them (``offered``).
    first_per_day : mapping
        First contacts a day of each channel not observed (the scenario's rate × customers).
    back_share : mapping
        Per channel, the share of its contacts that come back: unresolved answered ones plus
        the retried abandoned and ignored ones.
    repeat_channels : mapping
        Per channel, where its returning contacts go (shares summing to 1).

    Returns
    -------
    dict
        First contacts a day of each observed channel (may be ≤ 0 when the repeats alone
        exceed the observed volume; the caller decides).
    """
    names = sorted({*observed_per_day, *first_per_day})
    index = {c: i for i, c in enumerate(names)}
    m = np.zeros((len(names), len(names)))
    for d in names:
        for c, share in repeat_channels.get(d, {d: 1.0}).items():
            if c in index:
                m[index[c], index[d]] += back_share.get(d, 0.0) * share
    seen = [index[c] for c in names if c in observed_per_day]
    unseen = [index[c] for c in names if c not in observed_per_day]
    total = np.zeros(len(names))
    total[seen] = [observed_per_day[names[i]] for i in seen]
    if unseen:
        inflow = m[np.ix_(unseen, seen)] @ total[seen]
        first = np.array([first_per_day[names[i]] for i in unseen])
        total[unseen] = np.linalg.solve(np.eye(len(unseen)) - m[np.ix_(unseen, unseen)],
                                        first + inflow)  # fmt: skip
    fresh = total - m @ total
    return {names[i]: float(fresh[i]) for i in seen}


def _outcome_shares(log: ContactLog | None, report: IntervalReport | None) -> tuple[float, float]:
    """(answered, failed) shares of a channel's contacts; (1, 0) when the data does not say."""
    if log is not None and log.rows:
        answered = float(np.mean(log.outcome == ANSWERED))
        return answered, 1.0 - answered
    if report is not None and report.answered is not None and report.offered.sum() > 0:
        answered = float(report.answered.sum() / report.offered.sum())
        return answered, 1.0 - answered
    return 1.0, 0.0


def _mean(value: Any) -> float:
    return float(as_distribution(value).mean())


# --- the fits ----------------------------------------------------------------------------------


@dataclass
class _Collected:
    fitted: list[FittedInput] = field(default_factory=list)
    unfitted: list[Unfitted] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *results: FittedInput | Unfitted | None) -> None:
        for r in results:
            if isinstance(r, FittedInput):
                self.fitted.append(r)
            elif isinstance(r, Unfitted):
                self.unfitted.append(r)


def _fit_channel(
    channel: str,
    data: DataSet,
    scenario: Scenario,
    streams: Streams,
    out: _Collected,
) -> tuple[ArrivalFit | None, PatienceFit | None]:
    spec = scenario.channels[channel]
    log = data.contacts.get(channel)
    report = data.intervals.get(channel)
    if report is None and log is not None and log.rows:
        report = intervals_from_contacts(log, CONTACT_LOG_INTERVAL_MINUTES)
    arrivals = None
    if report is not None:
        arrivals = fit_arrivals(report, rng=streams.rng("busyness", channel))
        for fit in arrivals.inputs():
            if fit.key == "hours" and spec.kind == "deferrable" and report.agents is None:
                reason = (
                    "not fitted: a deferrable channel's hours are when agents work, and the "
                    "data has no agents column (contacts arrive around the clock)"
                )
                fit = Unfitted("hours", reason, report.source, channel)
            out.add(fit)
    handle = fit_handle_time(log) if log is not None else None
    if handle is None or isinstance(handle.mean, Unfitted):
        handle = fit_handle_time_intervals(report) if report is not None else handle
    if handle is not None:
        out.add(_per_slot(handle.mean, scenario, channel), handle.cv)
    patience = None
    if spec.kind == "realtime":
        if log is not None:
            patience = fit_patience(log, kind=spec.kind)
            out.add(*patience.inputs())
        elif report is not None:
            out.add(fit_patience_intervals(report))
    if log is not None:
        others = [o for c, o in data.contacts.items() if c != channel]
        out.add(fit_fcr(log), _public_share(log, spec), fit_retry_share(log, others))
    return arrivals, patience


def _public_share(log: ContactLog, spec: ChannelSpec) -> FittedInput | Unfitted:
    """The public share, unless no contact of the log is public in a channel the scenario has
    private (phone, email): its posterior there (a mean of 1/(2n+1)) would make calls public
    posts."""
    if log.public is not None and not np.any(log.public) and _mean(spec.public_share) == 0.0:
        return Unfitted(
            "public_share",
            "not fitted: no contact in the log is public, and none is in the scenario",
            log.source,
            log.channel,
        )
    return fit_public_share(log)


def _per_slot(
    fit: FittedInput | Unfitted, scenario: Scenario, channel: str
) -> FittedInput | Unfitted:
    """Handle time of one contact as the model takes it: an agent holding ``concurrency``
    conversations works each ``slowdown = k^(1 − α)`` times slower (``model/inputs.py``), so
    the observed time per contact is the scenario's ``handle_time_minutes`` × slowdown."""
    spec = scenario.channels[channel]
    if spec.concurrency <= 1 or not isinstance(fit, FittedInput):
        return fit
    alpha = _mean(spec.concurrency_speedup_alpha)
    slowdown = spec.concurrency ** (1.0 - alpha)
    low, high = (x / slowdown for x in fit.interval90)
    note = (
        f"observed time per contact / {slowdown:.3f}, the slowdown of {spec.concurrency} "
        f"conversations at once (k^(1-alpha), alpha {alpha:.2f} the scenario's mean)"
    )
    return replace(
        fit,
        value=float(fit.value) / slowdown,
        interval90=(low, high),
        distribution=normal_form(low, high, LIMITS["handle_time_minutes"]),
        note="; ".join(filter(None, [fit.note, note])),
    )


def _fit_churn(data: DataSet, scenario: Scenario, out: _Collected) -> ChurnFit | None:
    if data.customers is None:
        return None
    churn = fit_churn_multipliers(data.customers, effect_months=scenario.experience.effect_months)
    for c in churn.classes:
        if c.multiplier is None:
            continue
        if c.experience in EXPERIENCE_CLASSES:
            out.add(c.multiplier)
        else:
            known = ", ".join(EXPERIENCE_CLASSES)
            out.notes.append(
                f"experience {c.experience!r} in {file_name(data.customers.source.path)} is not "
                f"one of the model's classes ({known}): its "
                f"{counted(c.customers, 'customer')} are shown, not written"
            )
    return churn


def _volumes(
    arrivals: Mapping[str, ArrivalFit],
    data: DataSet,
    scenario: Scenario,
    customers: float,
    fitted: Sequence[FittedInput],
    out: _Collected,
) -> dict[str, float]:
    """``contacts_per_customer_per_year`` of each channel with arrivals; the first-contact
    share of each."""
    by_key = {f.scenario_key: f for f in fitted}

    def setting(channel: str, key: str) -> float:
        found = by_key.get(f"channels.{channel}.{key}")
        if found is not None:
            return float(found.value)
        return _mean(getattr(scenario.channels[channel], key))

    back, routes = {}, {}
    for c, spec in scenario.channels.items():
        answered, failed = _outcome_shares(data.contacts.get(c), data.intervals.get(c))
        back[c] = answered * (1 - setting(c, "fcr")) + setting(c, "retry_share") * failed
        routes[c] = dict(spec.repeat_channels or {c: 1.0})
    observed = {c: a.volume.mean * a.volume.open_days_per_week / 7 for c, a in arrivals.items()}
    first = {
        c: customers * _mean(spec.contacts_per_customer_per_year) / 365.25
        for c, spec in scenario.channels.items()
        if c not in arrivals
    }
    fresh = first_contact_shares(observed, first, back, routes)
    shares = {}
    for c, a in arrivals.items():
        share = fresh[c] / observed[c] if observed[c] > 0 else 1.0
        if share <= 0.05:
            out.notes.append(
                f"{c}: the model's repeats and retries would exceed the observed volume "
                f"(first contacts {share:.0%} of it); the rate is written for all contacts"
            )
            share = 1.0
        shares[c] = share
        volume = replace(a.volume, mean=a.volume.mean * share, se=a.volume.se * share)
        rate = contacts_per_customer_per_year(
            volume, customers, source=a.intraday_profile.source, channel=c
        )
        note = (
            f"first contacts: {share:.1%} of the observed volume; the model adds the repeats "
            f"and retries (FCR {setting(c, 'fcr'):.2f}, retry share "
            f"{setting(c, 'retry_share'):.2f}) itself"
        )
        method = f"{rate.method}; times {share:.3f}, the first contacts (the model adds repeats)"
        out.fitted.append(
            replace(rate, method=method, note="; ".join(filter(None, [rate.note, note])))
        )
    return shares


def calibrate(
    data: DataSet,
    out: str | Path,
    *,
    into: str | Path | None = None,
    customers: int | None = None,
    seed: int = 0,
) -> CalibrationResult:
    """Fit what ``data`` can tell and write the calibrated scenario to ``out``.

    Parameters
    ----------
    data : DataSet
        The user's files, read by :func:`simroi.data.read.read_data`.
    out : path
        The calibrated scenario to write (atomically, validated first).
    into : path or bundled scenario name, optional
        The scenario that supplies everything not fitted (default: the bundled default).
    customers : int, optional
        The customers behind the contacts; becomes ``customers.active_customers``. Without it
        the rates are against the scenario's mean customer count.
    seed : int
        Root entropy of the bootstrap intervals (``busyness_cv``); fixed so a calibration
        repeats exactly.

    Raises
    ------
    OutputError
        ``out`` is one of the data files (nothing written).
    DataFileError
        A channel in the data that the scenario lacks (one line per file and channel); dates
        running longer than :data:`~simroi.data.read.MAX_SPAN_DAYS` in one channel.
    ScenarioError
        An invalid base scenario, or a calibrated scenario the loader refuses; nothing written.
    """
    if (read := data.read_from(Path(out))) is not None:
        raise OutputError(
            f"{out}: is the data file {str(read)!r} being read; nothing written (write the "
            "calibrated scenario to a file of its own, such as calibrated.toml)"
        )
    loaded = load_scenario(into)
    scenario = loaded.program
    frames: list[IntervalReport | ContactLog] = [*data.intervals.values(), *data.contacts.values()]
    if problems := unknown_channels(frames, list(scenario.channels), loaded.name):
        raise DataFileError(problems)
    for report in (r for r in data.intervals.values() if r.start.size):
        check_span(report.source, "interval_start", report.start[0], report.start[-1])
    for log in (g for g in data.contacts.values() if g.arrived_at.size):
        check_span(log.source, "arrived_at", log.arrived_at[0], log.arrived_at[-1])
    check_customers(data, customers)
    streams = Streams(seed, 0)
    collected = _Collected()
    fits: dict[str, ChannelFit] = {}
    arrivals: dict[str, ArrivalFit] = {}
    patience: dict[str, PatienceFit | None] = {}
    for channel in scenario.channels:
        if channel not in data.channels:
            continue
        a, p = _fit_channel(channel, data, scenario, streams, collected)
        patience[channel] = p
        if a is not None:
            arrivals[channel] = a
    churn = _fit_churn(data, scenario, collected)
    count = (
        float(customers) if customers is not None else _mean(scenario.customers.active_customers)
    )
    shares = _volumes(arrivals, data, scenario, count, collected.fitted, collected)
    for channel in patience:
        fits[channel] = ChannelFit(
            channel, arrivals.get(channel), patience[channel], shares.get(channel, 1.0)
        )
    edits = [ScenarioEdit(f.scenario_key, f.distribution, f.source_text) for f in collected.fitted]
    unseen = [c for c in scenario.channels if c not in arrivals]
    counted = customer_count(data, customers, count, unseen, bool(arrivals))
    edits += counted.edits
    notes = [*counted.notes, *collected.notes]
    notes += [
        f"{s.names}: its times are marked UTC and were fitted on that clock, the centre's own "
        "only where it keeps UTC; give the centre's time zone (`timezone`) to fit its opening "
        "hours and profile on its clock"
        for s in data.sources
        if s.utc_marked
    ]
    header = [
        "Calibrated by simroi calibrate from "
        + ", ".join(file_name(s.path) for s in data.sources)
        + ",",
        f'on the base scenario {loaded.source}. Fitted keys carry source = "<file>, <rows>,',
        "<dates>; <method>; n=<n>\" (or a comment after them); everything else is the base's.",
    ]
    name = f"{scenario.scenario.name} calibrated"
    written = write_calibrated_scenario(into, edits, out, header=header, name=name)
    notes += [
        f"{key}: the baseline overrides it; the fitted value is written there too"
        for key in written.baseline_keys
    ]
    notes += list(written.unlinked)
    if written.baseline_file is not None:
        notes.append(
            f"the baseline is the file {written.baseline_file}, not edited: its channels keep "
            "their own values"
        )
    outliers = {
        c: tuple(str(d) for d in a.outliers) for c, a in arrivals.items() if a.outliers.size
    }
    return CalibrationResult(
        base=loaded.source,
        written=written,
        sources=tuple(data.sources),
        fitted=tuple(collected.fitted),
        unfitted=tuple(collected.unfitted),
        channels=fits,
        churn=churn,
        outliers=outliers,
        notes=tuple(notes),
        customers=count,
    )

"""Arrivals fitted to an interval report: the shape of demand over the day and week, its level,
its day-to-day variation beyond Poisson, and the days that do not belong.

The model (``simroi/model/contacts.py``) draws a day's contacts as Poisson with rate
``level × weekday_factor × G`` with ``G`` a gamma "busyness" multiplier of mean 1 and cv
``busyness_cv``, spread over the day by the intraday profile. So a day's total is negative
binomial with mean ``μ_d`` (its weekday's) and variance ``μ_d + cv²·μ_d²`` — the model fitted here.

Conventions (every calendar day from the first to the last date of the data counts; a date with
no rows holds no contacts, as closed days often have no rows in an export):

- **weekday factors** are each weekday's mean daily volume over the mean of the seven, the
  normalisation the model uses (``calendar.weekday_factors``: mean 1 over the week, closed
  days 0);
- a weekday is **open** when it has contacts on at least half its dates; one never open has
  factor 0 and is left out of ``hours.days``;
- **opening hours** span the first to the last interval of the day that has contacts on at least
  half the open days; when the report has ``agents``, the intervals and weekdays with agents on
  queue instead (for a deferrable channel contacts arrive while nobody works);
- the **intraday profile** is the mean over full, usual open days (rows for every usual open
  interval, not an outlier; :func:`fit_arrivals`) of each interval's share of its day's
  volume, at the data's resolution (``intraday_profile_minutes``);
- how sure the profile and the weekday factors are — their standard errors — is written as a
  Dirichlet concentration of each (``intraday_profile_concentration``,
  ``weekday_factors_concentration``; :mod:`simroi.data.fit_shares`);
- **busyness** is fitted by maximum likelihood (Cox–Reid adjusted for the weekday means) on
  daily totals of open weekdays, with a profile-likelihood interval; days outside the fitted
  negative binomial's 0.1–99.9 % range are listed as outliers (an outage, a launch, a
  holiday: events, ``[[events]]``, not busyness) and left out of the busyness, the weekday
  factors and the level; the fit is made twice, the second time without the first's outliers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from simroi.data.fit import LIMITS, NO_INTERVAL, FittedInput, Unfitted, normal_form
from simroi.data.fit_dispersion import fit_dispersion, nb_quantiles
from simroi.data.fit_shares import profile_concentration, weekday_concentration
from simroi.data.frames import (
    ABANDONED,
    ANSWERED,
    ContactLog,
    DataSource,
    IntervalReport,
    file_name,
)
from simroi.estimates import Z_ONE_SIDED_95
from simroi.weekdays import WEEKDAYS

__all__ = [
    "OPEN_SHARE",
    "OUTLIER_QUANTILE",
    "ArrivalFit",
    "DailyTotals",
    "DailyVolume",
    "contacts_per_customer_per_year",
    "daily_totals",
    "fit_arrivals",
    "fit_busyness",
    "intervals_from_contacts",
]

#: A weekday (or an interval of the day) is open when it has contacts on at least this share of
#: its dates (of the open days).
OPEN_SHARE = 0.5
#: Days whose total lies below this or above 1 − this quantile of the fitted day are outliers.
OUTLIER_QUANTILE = 0.001


@dataclass(frozen=True)
class DailyTotals:
    """A report's contacts per calendar day and per interval of the day.

    ``dates`` (days,) datetime64[D], every date first to last; ``weekday`` (days,) 0 = Monday;
    ``totals`` (days,) contacts; ``by_slot`` (days, slots) contacts in each interval of the day;
    ``staffed`` (days, slots) bool, agents on queue (None without an ``agents`` column);
    ``present`` (days, slots) bool, the report has a row for the interval (None: all present).
    """

    dates: np.ndarray
    weekday: np.ndarray
    totals: np.ndarray
    by_slot: np.ndarray
    staffed: np.ndarray | None
    present: np.ndarray | None = None


def daily_totals(report: IntervalReport) -> DailyTotals:
    """Sum a report's ``offered`` by calendar day and interval of the day."""
    minutes = report.interval_minutes
    slots = 1440 // minutes
    day = report.start.astype("datetime64[D]")
    first, last = day.min(), day.max()
    days = int((last - first).astype(int)) + 1
    row = (day - first).astype(int)
    col = ((report.start - day).astype("timedelta64[m]").astype(int)) // minutes
    by_slot = np.zeros((days, slots))
    np.add.at(by_slot, (row, col), report.offered)
    staffed = None
    if report.agents is not None:
        staffed = np.zeros((days, slots), dtype=bool)
        staffed[row, col] = report.agents > 0
    present = np.zeros((days, slots), dtype=bool)
    present[row, col] = True
    dates = first + np.arange(days)
    # 1970-01-01 was a Thursday: (days since epoch + 3) mod 7 counts from Monday.
    weekday = (dates.astype(int) + 3) % 7
    return DailyTotals(dates, weekday, by_slot.sum(axis=1), by_slot, staffed, present)


@dataclass(frozen=True)
class DailyVolume:
    """Mean contacts per open day (weekdays weighted equally), its standard error and the
    degrees of freedom of that error (days less open weekdays).

    ``se`` is the model's: each weekday's day variance ``m + cv²m²`` over its dates, with the
    fitted ``busyness_cv`` — or cv 0 (Poisson days, a lower bound) when busyness was not
    fitted, which ``busyness_assumed`` then says.
    """

    mean: float
    se: float
    open_days_per_week: int
    days: int
    df: int
    busyness_assumed: bool = False

    @property
    def interval90(self) -> tuple[float, float]:
        """``mean ± t₀.₉₅(df)·se`` (Student t, as the variance is estimated); without degrees
        of freedom (one date per weekday) ``mean ± z₀.₉₅·se``, the model's standard error
        taken as known; NaN when there is no standard error."""
        if not math.isfinite(self.se):
            return math.nan, math.nan
        quantile = float(stats.t.ppf(0.95, self.df)) if self.df >= 1 else Z_ONE_SIDED_95
        half = quantile * self.se
        return self.mean - half, self.mean + half


@dataclass(frozen=True)
class ArrivalFit:
    """Everything the arrivals of one channel tell.

    Fitted inputs: ``intraday_profile`` (with ``intraday_profile_minutes`` the data's interval),
    ``weekday_factors``, the concentration of each (``profile_concentration``,
    ``weekday_concentration``), ``hours`` (``{"open", "close", "days"}``), ``busyness_cv``;
    ``volume`` is the level for :func:`contacts_per_customer_per_year`. Diagnostics for plots:
    ``daily`` (the totals), ``expected`` (days,) each day's fitted mean, ``profile_se`` (slots,)
    the standard error of each interval's share, ``outliers`` (dates, datetime64[D]).
    ``unfitted_reason`` is non-empty when no day is open: the profile (all 0) and factors
    (all 0) are then diagnostics only, and :meth:`inputs` gives them as :class:`Unfitted`.
    """

    intraday_profile: FittedInput
    intraday_profile_minutes: int
    weekday_factors: FittedInput
    hours: FittedInput | Unfitted
    busyness_cv: FittedInput | Unfitted
    volume: DailyVolume
    daily: DailyTotals
    expected: np.ndarray
    profile_se: np.ndarray
    outliers: np.ndarray
    profile_concentration: FittedInput | Unfitted
    weekday_concentration: FittedInput | Unfitted
    unfitted_reason: str = ""

    def inputs(self) -> tuple[FittedInput | Unfitted, ...]:
        """The channel keys to write, in file order. ``intraday_profile_minutes`` is among them
        only when it is not 60 (24 hourly values need no resolution key). With
        ``unfitted_reason`` (no open day) the profile and weekday factors are :class:`Unfitted`
        — a profile summing to 0 and factors all 0 are inputs the scenario rejects."""
        if self.unfitted_reason:
            src, channel = self.intraday_profile.source, self.intraday_profile.channel
            return (
                self.hours,
                self.busyness_cv,
                Unfitted("intraday_profile", self.unfitted_reason, src, channel),
                Unfitted("intraday_profile_concentration", self.unfitted_reason, src, channel),
                Unfitted("weekday_factors", self.unfitted_reason, src, channel),
                Unfitted("weekday_factors_concentration", self.unfitted_reason, src, channel),
            )
        minutes: tuple[FittedInput, ...] = ()
        if self.intraday_profile_minutes != 60:
            minutes = (
                replace(
                    self.intraday_profile,
                    key="intraday_profile_minutes",
                    value=self.intraday_profile_minutes,
                    distribution=self.intraday_profile_minutes,
                    method="the data's interval length",
                    note="",
                ),
            )
        return (
            self.hours,
            self.busyness_cv,
            *minutes,
            self.intraday_profile,
            self.profile_concentration,
            self.weekday_factors,
            self.weekday_concentration,
        )


def _by_weekday(
    values: np.ndarray, weekday: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """Mean of ``values`` (days,) by weekday (7,), Monday first; 0 for a weekday with none."""
    use = np.ones(values.size, dtype=bool) if mask is None else mask
    sums = np.bincount(weekday[use], weights=values[use], minlength=7)
    counts = np.bincount(weekday[use], minlength=7)
    return np.divide(sums, counts, out=np.zeros(7), where=counts > 0)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def fit_arrivals(report: IntervalReport, *, rng: np.random.Generator | None = None) -> ArrivalFit:
    """Fit the shape, level and variation of one channel's arrivals.

    Parameters
    ----------
    report : IntervalReport
        One channel's intervals; ``offered`` is the count fitted.
    rng : numpy.random.Generator, optional
        Not used (the ``busyness_cv`` interval is a profile likelihood, not simulated);
        accepted so callers need not change.

    The intraday profile averages **full, usual open days** only: open days that are not
    outliers (:func:`fit_busyness`) and whose rows cover every *usual open interval* (an
    interval of the day with contacts on at least half the open days). A day the export
    starts or ends in the middle of, or with missing rows, would bend the profile toward the
    hours it has. A zero-filled export cannot show a partial day this way; its outlier test
    still can. With no open day at all (an all-zero report) :meth:`ArrivalFit.inputs` gives
    :class:`Unfitted` for every key.

    Raises
    ------
    ValueError
        For a report without rows (the readers reject empty files before this).
    """
    if report.rows == 0:
        raise ValueError(f"{file_name(report.source.path)}: no intervals to fit ({report.channel})")
    src, channel, minutes = report.source, report.channel, report.interval_minutes
    daily = daily_totals(report)
    has = daily.totals > 0
    open_weekday = _by_weekday(has.astype(float), daily.weekday) >= OPEN_SHARE
    open_day = open_weekday[daily.weekday] & has
    n_open = int(open_day.sum())
    busy, expected, outliers = fit_busyness(
        daily, open_weekday, rng=rng, source=src, channel=channel
    )
    usual = ~np.isin(daily.dates, outliers)
    profile_days = _full_days(daily, open_day) & usual
    if not profile_days.any():  # no full usual day: every open one rather than none
        profile_days = open_day
    n_profile = int(profile_days.sum())
    shares = daily.by_slot[profile_days] / daily.totals[profile_days, None]
    profile = shares.mean(axis=0) if n_profile else np.zeros(daily.by_slot.shape[1])
    profile_se = np.full_like(profile, np.nan)
    if n_profile > 1:
        profile_se = shares.std(axis=0, ddof=1) / np.sqrt(n_profile)
    left_out = n_open - n_profile
    intraday = FittedInput(
        key="intraday_profile",
        value=profile.tolist(),
        interval90=NO_INTERVAL,
        distribution=profile.tolist(),
        method=f"mean share of the day's contacts per {minutes}-minute interval over full, "
        "usual open days",
        n=n_profile,
        source=src,
        note=f"intraday_profile_minutes = {minutes}; shares of the day, summing to 1"
        + (f"; {left_out} partial or outlier day(s) left out" if left_out else ""),
        channel=channel,
    )
    weekday_mean = np.where(open_weekday, _by_weekday(daily.totals, daily.weekday, usual), 0.0)
    factors = weekday_mean / weekday_mean.mean() if weekday_mean.sum() > 0 else weekday_mean
    weekday_fit = FittedInput(
        key="weekday_factors",
        value=factors.tolist(),
        interval90=NO_INTERVAL,
        distribution=factors.tolist(),
        method="mean daily contacts by weekday over the mean of the seven (closed: 0)",
        n=int(usual.sum()),
        source=src,
        note="closed weekdays (contacts on fewer than half their dates) are 0 and left out of "
        "hours.days; outlier days left out",
        channel=channel,
    )
    hours = _fit_hours(daily, open_day, open_weekday, minutes, src, channel)
    volume = _daily_volume(daily, open_weekday, usual, busy)
    reason = "" if n_open else "not fitted: no open day (no contacts on any date)"
    dates = np.where(open_weekday, np.bincount(daily.weekday[usual], minlength=7), 0)
    return ArrivalFit(
        intraday,
        minutes,
        weekday_fit,
        hours,
        busy,
        volume,
        daily,
        expected,
        profile_se,
        outliers,
        profile_concentration(shares, minutes=minutes, source=src, channel=channel),
        weekday_concentration(weekday_mean, dates, busy, source=src, channel=channel),
        reason,
    )


def _full_days(daily: DailyTotals, open_day: np.ndarray) -> np.ndarray:
    """Open days (days,) whose rows cover every usual open interval: one with contacts on at
    least half the open days."""
    if daily.present is None or not open_day.any():
        return open_day
    usual_slots = (daily.by_slot[open_day] > 0).mean(axis=0) >= OPEN_SHARE
    return open_day & daily.present[:, usual_slots].all(axis=1)


def _fit_hours(
    daily: DailyTotals,
    open_day: np.ndarray,
    open_weekday: np.ndarray,
    minutes: int,
    src: DataSource,
    channel: str,
) -> FittedInput | Unfitted:
    if not open_day.any():
        return Unfitted("hours", "not fitted: no day with contacts", src, channel)
    if daily.staffed is not None:
        staffed_day = daily.staffed.any(axis=1)
        active = np.zeros(daily.staffed.shape[1], dtype=bool)  # no day staffed: none active
        if staffed_day.any():
            active = daily.staffed[staffed_day].mean(axis=0) >= OPEN_SHARE
    else:
        active = (daily.by_slot[open_day] > 0).mean(axis=0) >= OPEN_SHARE
    if not active.any():
        return Unfitted(
            "hours", "not fitted: no interval active on half the open days", src, channel
        )
    slots = np.flatnonzero(active)
    if daily.staffed is not None:
        # Agents' days, which for a deferrable channel are not the days contacts arrive.
        open_weekday = _by_weekday(daily.staffed.any(axis=1).astype(float), daily.weekday)
        open_weekday = open_weekday >= OPEN_SHARE
    hours = {
        "open": _clock(int(slots[0]) * minutes),
        "close": _clock((int(slots[-1]) + 1) * minutes),
        "days": [d for d, is_open in zip(WEEKDAYS, open_weekday, strict=True) if is_open],
    }
    what = "agents on queue" if daily.staffed is not None else "contacts"
    return FittedInput(
        key="hours",
        value=hours,
        interval90=NO_INTERVAL,
        distribution=hours,
        method=f"first to last interval with {what} on at least half the days",
        n=int(open_day.sum()),
        source=src,
        channel=channel,
    )


def fit_busyness(
    daily: DailyTotals,
    open_weekday: np.ndarray,
    *,
    rng: np.random.Generator | None = None,
    source: DataSource,
    channel: str,
) -> tuple[FittedInput | Unfitted, np.ndarray, np.ndarray]:
    """``busyness_cv``, each day's expected total, and the outlier dates.

    Uses open weekdays only. A day's total is negative binomial with its weekday's mean and
    variance ``μ + cv²μ²`` — exactly the model's Poisson day with a gamma multiplier of mean 1
    and cv ``busyness_cv`` (``simroi/model/contacts.py``). The estimate maximises the Cox–Reid
    adjusted profile likelihood over ``[0, 2]`` (:mod:`simroi.data.fit_dispersion`; the weekday
    means are nuisance parameters), after one round of outlier removal; the interval is the
    profile-likelihood interval (χ²₁ at 90 %), whose lower end is 0 when Poisson days cannot
    be rejected. ``rng`` is not used (the interval is not simulated); accepted so callers need
    not change.

    Returns
    -------
    busyness : FittedInput or Unfitted
        Unfitted when no weekday has two open dates (nothing to compare a day with).
    expected : numpy.ndarray, shape (days,)
        The fitted mean of each day (its weekday's mean; 0 on closed weekdays).
    outliers : numpy.ndarray, datetime64[D]
        Dates whose total is outside the fitted day's 0.1–99.9 % range.
    """
    del rng  # the profile-likelihood interval draws nothing
    use = open_weekday[daily.weekday]
    groups = daily.weekday[use]
    totals = daily.totals[use]
    keep = np.ones(totals.size, dtype=bool)
    cv = low_cv = high_cv = 0.0
    means = np.zeros(7)
    df = 0
    for last in (False, True):
        means = _by_weekday(totals, groups, keep)
        df = sum(max(int((groups[keep] == w).sum()) - 1, 0) for w in range(7))
        if df == 0:
            break
        cv, low_cv, high_cv = fit_dispersion(totals[keep], groups[keep], interval=last)
        if not last:
            low, high = nb_quantiles(means[groups], cv, OUTLIER_QUANTILE)
            keep = (totals >= low) & (totals <= high)
    expected = np.where(use, means[daily.weekday], 0.0)
    outliers = daily.dates[use][~keep]
    if df == 0:
        reason = "not fitted: day-to-day variation needs two or more open days of one weekday"
        return Unfitted("busyness_cv", reason, source, channel), expected, outliers
    notes = [f"{outliers.size} outlier day(s) left out"] if outliers.size else []
    limit = LIMITS["busyness_cv"][1]
    if high_cv >= limit:
        notes.append(f"the likelihood does not bound the cv below the scenario's limit {limit:g}")
    fit = FittedInput(
        key="busyness_cv",
        value=cv,
        interval90=(low_cv, high_cv),
        distribution=normal_form(low_cv, high_cv, LIMITS["busyness_cv"]),
        method="maximum likelihood, negative binomial days (var = m + cv^2 m^2) with weekday "
        "means, Cox-Reid adjusted; profile-likelihood interval",
        n=int(keep.sum()),
        source=source,
        note="; ".join(notes),
        channel=channel,
    )
    return fit, expected, outliers


def _daily_volume(
    daily: DailyTotals, open_weekday: np.ndarray, usual: np.ndarray, busy: FittedInput | Unfitted
) -> DailyVolume:
    """Mean of the open weekdays' mean totals (outlier days left out), and its standard error
    from the fitted day variance ``m + cv²m²`` over each weekday's dates."""
    assumed = not isinstance(busy, FittedInput)
    cv = float(busy.value) if isinstance(busy, FittedInput) else 0.0
    open_w = [w for w in np.flatnonzero(open_weekday) if (usual & (daily.weekday == w)).any()]
    if not open_w:
        return DailyVolume(0.0, math.nan, 0, int(daily.dates.size), 0, assumed)
    means, variances, df = [], [], 0
    for w in open_w:
        x = daily.totals[usual & (daily.weekday == w)]
        m = float(x.mean())
        means.append(m)
        variances.append((m + cv**2 * m**2) / x.size)
        df += x.size - 1
    se = float(np.sqrt(np.sum(variances))) / len(open_w)
    return DailyVolume(float(np.mean(means)), se, len(open_w), int(usual.sum()), df, assumed)


def contacts_per_customer_per_year(
    volume: DailyVolume, customers: float, *, source: DataSource, channel: str
) -> FittedInput:
    """``contacts_per_customer_per_year`` from the daily level and the customer count.

    The model's daily rate is ``customers × contacts_per_customer_per_year / 365.25`` averaged
    over the seven weekdays (closed ones 0), so the rate is the mean per open day × open days a
    week / 7 × 365.25 / customers; its interval is the daily mean's (:attr:`DailyVolume.
    interval90`: Student t, or normal from the model's standard error without two dates of a
    weekday) scaled alike. When busyness was not fitted that error assumes Poisson days (cv 0),
    a lower bound, and the note says so; with no open day at all the interval is the point 0.
    """
    scale = volume.open_days_per_week / 7 * 365.25 / customers
    value = volume.mean * scale
    low, high = (x * scale for x in volume.interval90)
    if not (math.isfinite(low) and math.isfinite(high)):
        low = high = value
    low = max(low, 0.0)
    notes = []
    if volume.df < 1 and math.isfinite(volume.se):
        notes.append("one date per open weekday: normal interval from the model's standard error")
    if volume.busyness_assumed:
        notes.append(
            "busyness not fitted: the standard error assumes Poisson days (cv 0), so the "
            "interval is too narrow if days vary more"
        )
    interval = "Student t" if volume.df >= 1 else "normal"
    return FittedInput(
        key="contacts_per_customer_per_year",
        value=value,
        interval90=(low, high),
        distribution=normal_form(low, high, LIMITS["contacts_per_customer_per_year"]),
        method=f"mean contacts per open day x {volume.open_days_per_week}/7 x 365.25 / "
        f"{customers:,.0f} customers; {interval} interval",
        n=volume.days,
        source=source,
        note="; ".join(notes),
        channel=channel,
    )


def intervals_from_contacts(log: ContactLog, interval_minutes: int) -> IntervalReport:
    """Bin a contact log into an interval report (every interval from the first day's midnight
    to the last day's end, empty ones 0): offered, answered, abandoned and their mean handle and
    wait (NaN where nothing was answered)."""
    minutes = np.int64(interval_minutes)
    start = log.arrived_at.astype("datetime64[m]").astype(np.int64)
    first = log.arrived_at.min().astype("datetime64[D]").astype("datetime64[m]").astype(np.int64)
    next_day = log.arrived_at.max().astype("datetime64[D]") + np.timedelta64(1, "D")
    last = next_day.astype("datetime64[m]")
    bins = int((last.astype(np.int64) - first) // minutes)
    index = (start - first) // minutes
    answered = log.outcome == ANSWERED

    def count(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(index[mask], weights=w, minlength=bins).astype(float)

    offered = count(np.ones(index.size, dtype=bool))
    n_answered = count(answered)
    with np.errstate(invalid="ignore", divide="ignore"):
        handle = count(answered, log.handle_seconds) / n_answered
        wait = count(answered, log.wait_seconds) / n_answered
    starts = (first + np.arange(bins) * minutes).astype("datetime64[m]").astype("datetime64[s]")
    return IntervalReport(
        source=log.source,
        channel=log.channel,
        interval_minutes=interval_minutes,
        start=starts,
        offered=offered,
        answered=n_answered,
        abandoned=count(log.outcome == ABANDONED),
        handle_seconds_mean=handle,
        wait_seconds_mean=wait,
    )

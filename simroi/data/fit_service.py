"""Handle time and patience fitted to contact logs or interval reports.

**Handle time.** From a contact log, the answered contacts' handle times are fitted by maximum
likelihood as a lognormal (Brown et al. 2005; the model's default ``handle_time_dist``), with
gamma and exponential fitted beside it for the record (AIC). The mean's interval is Cox's for a
lognormal mean (Zhou & Gao 1997): ``log m̂ ± z·√(S²/n + S⁴/(2(n − 1)))``; the cv's comes from the
χ² interval of the log-variance. From an interval report only the mean is known: the AHT weighted
by answered counts, with a standard error from the variation between intervals (a ratio
estimator); the cv stays the scenario's assumption.

**Patience** (realtime channels). A contact that abandoned shows its patience; one that was
answered (or given up on by the centre) waited that long without leaving, so its wait is a
*lower bound*: right-censored (Brown et al. 2005). Kaplan–Meier gives the survival curve; the
exponential, Weibull and lognormal are fitted to the censored data by maximum likelihood and the
family the likelihood prefers (the exponential unless a test at 1 % rejects it) is written
(``patience_dist``, ``patience_shape``). The mean's interval: exponential, ``2T/χ²(2d)`` (T total
waiting, d abandonments); Weibull and lognormal, the delta method on the log mean with the
observed Fisher information, and when both two-parameter families fit about as well (log-
likelihoods within χ²₁(0.90)/2) the union of their intervals, as the family is then unknown.
The shape (Weibull shape, lognormal sigma) is an uncertain input too: its interval is the Wald
interval of its log from the same observed information, ``exp(log k ± z·se)``; the exponential
has no shape (1, fixed).
From interval data only: the Mandelbaum–Zeltyn relation ``P(abandon) = E[wait]/E[patience]``
(exact for exponential patience) with E[wait] the answered-weighted ASA and a delta-method
interval over intervals. The ASA leaves out the abandoned contacts' waits, which are longer on
average (every abandoner waited; many answered contacts did not), so this understates the mean
patience, the more the fewer contacts wait: by about 15 % in a simulated M/M/10+M day with
15 % abandoned (``tests/data/test_fit_service.py``). A contact log, where there is one, has no
such bias.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from simroi.data.fit import LIMITS, NO_INTERVAL, FittedInput, Unfitted, normal_form
from simroi.data.frames import ABANDONED, ANSWERED, ContactLog, DataSource, IntervalReport
from simroi.estimates import Z_ONE_SIDED_95

__all__ = [
    "FAMILY_MARGIN",
    "LR_MARGIN",
    "MIN_CV_CONTACTS",
    "PATIENCE_FAMILIES",
    "HandleTimeFit",
    "PatienceCandidate",
    "PatienceFit",
    "fit_handle_time",
    "fit_handle_time_intervals",
    "fit_patience",
    "fit_patience_intervals",
]

#: An abandonment logged at 0 s is counted at half a second (the logs' resolution), since a
#: continuous patience distribution gives a wait of exactly 0 no density.
_LEAST_WAIT_MINUTES = 0.5 / 60
#: The patience families the scenario knows (``patience_dist``).
PATIENCE_FAMILIES = ("exponential", "weibull", "lognormal")
#: How much a two-parameter family must raise the log-likelihood to replace the exponential:
#: half the 99 % point of χ²(1), a likelihood-ratio test at 1 % (exact for the nested Weibull,
#: the same bar for the lognormal). A laxer rule (least AIC) picked a lognormal for one in ten
#: exponential samples under 80 % censoring, and its mean, extrapolated far into the tail,
#: missed the truth.
LR_MARGIN = float(stats.chi2.ppf(0.99, 1)) / 2
#: Two-parameter families whose log-likelihood is within this of the likeliest one (half the
#: 90 % point of χ²(1)) are not told apart at the interval's own level, and the mean's
#: interval is the union of theirs. Taking the likeliest family's interval alone covered a
#: Weibull(2) mean 81 % of the time (n = 600, 80 % censored), as one sample in seven picked
#: the lognormal, whose extrapolated mean missed; the union covers about 90 %
#: (``tests/data/test_fit_service.py``).
FAMILY_MARGIN = float(stats.chi2.ppf(0.90, 1)) / 2
#: The least answered contacts for ``handle_time_cv``: from fewer, the 90 % χ² interval of the
#: log-variance spans more than a factor 5 (16.9/3.3 at 9 degrees of freedom), which on the cv
#: scale ``√(exp σ² − 1)`` runs from nearly 0 to beyond the scenario's limit of 10.
MIN_CV_CONTACTS = 10


@dataclass(frozen=True)
class HandleTimeFit:
    """``handle_time_minutes`` and ``handle_time_cv``, and the AIC of each family fitted."""

    mean: FittedInput | Unfitted
    cv: FittedInput | Unfitted
    aic: dict[str, float]

    def inputs(self) -> tuple[FittedInput | Unfitted, ...]:
        """The channel keys to write: ``handle_time_minutes``, ``handle_time_cv``."""
        return (self.mean, self.cv)


def _interval_mean(log_mean: float, se: float) -> tuple[float, float]:
    return math.exp(log_mean - Z_ONE_SIDED_95 * se), math.exp(log_mean + Z_ONE_SIDED_95 * se)


def fit_handle_time(log: ContactLog) -> HandleTimeFit:
    """Lognormal maximum-likelihood handle time (minutes) from answered contacts."""
    src, channel = log.source, log.channel
    x = log.handle_seconds[(log.outcome == ANSWERED) & np.isfinite(log.handle_seconds)] / 60.0
    x = x[x > 0]
    n = int(x.size)
    if n < 2:
        reason = f"not fitted: {n} answered contact(s) with a handle time (2 or more needed)"
        return HandleTimeFit(
            Unfitted("handle_time_minutes", reason, src, channel),
            Unfitted("handle_time_cv", reason, src, channel),
            {},
        )
    if np.ptp(x) == 0:
        # One value for every contact (an export that writes the AHT into each row) has no
        # spread to fit a distribution to, and scipy's lognormal fit fails on it.
        reason = (
            f"not fitted: every one of the {n:,} handle times is {x[0] * 60:g} s; a distribution "
            "needs handle times that vary (is the column the average handle time?)"
        )
        return HandleTimeFit(
            Unfitted("handle_time_minutes", reason, src, channel),
            Unfitted("handle_time_cv", reason, src, channel),
            {},
        )
    sigma, _, scale = stats.lognorm.fit(x, floc=0)
    mu = math.log(scale)
    s2 = float(np.var(np.log(x), ddof=1))
    mean = math.exp(mu + sigma**2 / 2)
    low, high = _interval_mean(math.log(mean), math.sqrt(s2 / n + s2**2 / (2 * (n - 1))))
    aic = {"lognormal": 4 - 2 * float(stats.lognorm.logpdf(x, sigma, 0, scale).sum())}
    shape, _, gscale = stats.gamma.fit(x, floc=0)
    aic["gamma"] = 4 - 2 * float(stats.gamma.logpdf(x, shape, 0, gscale).sum())
    aic["exponential"] = 2 - 2 * float(stats.expon.logpdf(x, 0, x.mean()).sum())
    best = min(aic, key=aic.__getitem__)
    note = "" if best == "lognormal" else f"{best} fits better by AIC than the model's lognormal"
    mean_fit = FittedInput(
        key="handle_time_minutes",
        value=mean,
        interval90=(low, high),
        distribution=normal_form(low, high, LIMITS["handle_time_minutes"]),
        method="maximum likelihood, lognormal, scipy.stats.lognorm.fit; Cox interval of the mean",
        n=n,
        source=src,
        note=note,
        channel=channel,
    )
    cv_fit = _handle_time_cv(sigma, s2, n, src, channel)
    return HandleTimeFit(mean_fit, cv_fit, aic)


def _handle_time_cv(
    sigma: float, s2: float, n: int, src: DataSource, channel: str
) -> FittedInput | Unfitted:
    """The lognormal cv ``√(exp σ² − 1)`` with the χ² interval of σ², clipped to the key's range.

    The interval is computed on the σ² scale (``(n−1)s²/χ²``), its ends clipped to the σ² of
    the key's limits before the transform (``exp σ²`` overflows for wide samples), and the note
    says when a limit bites. Below :data:`MIN_CV_CONTACTS` contacts the χ² interval of a
    variance spans orders of magnitude: not fitted.
    """
    key = "handle_time_cv"
    if n < MIN_CV_CONTACTS:
        reason = (
            f"not fitted: {n} answered contact(s) with a handle time; the cv needs "
            f"{MIN_CV_CONTACTS} or more (its chi-square interval is unbounded in practice below)"
        )
        return Unfitted(key, reason, src, channel)
    lo_cv, hi_cv = LIMITS[key]
    s2_limits = (math.log1p(lo_cv**2), math.log1p(hi_cv**2))
    chi_low, chi_high = stats.chi2.ppf([0.95, 0.05], n - 1)
    raw = [(n - 1) * s2 / float(c) for c in (chi_low, chi_high)] + [sigma**2]
    clipped = [min(max(v, s2_limits[0]), s2_limits[1]) for v in raw]
    # clipped again: the round trip through log1p and expm1 can land an ulp outside
    cv_low, cv_high, value = (min(max(math.sqrt(math.expm1(v)), lo_cv), hi_cv) for v in clipped)
    notes = []
    if clipped[1] < raw[1]:
        upper = math.sqrt(math.expm1(raw[1])) if raw[1] < 700 else math.inf
        notes.append(
            f"the interval's upper end (cv {upper:.3g}) is above the scenario's limit "
            f"{hi_cv:g}: clipped to it"
        )
    if clipped[2] < raw[2]:
        notes.append(f"the estimate is above the scenario's limit {hi_cv:g}: written as {hi_cv:g}")
    if clipped[0] > raw[0] or clipped[2] > raw[2]:
        notes.append(f"raised to the scenario's least cv {lo_cv:g}")
    return FittedInput(
        key=key,
        value=value,
        interval90=(cv_low, cv_high),
        distribution=normal_form(cv_low, cv_high, LIMITS[key]),
        method="maximum likelihood, lognormal; chi-square interval of the log-variance",
        n=n,
        source=src,
        note="; ".join(notes),
        channel=channel,
    )


def fit_handle_time_intervals(report: IntervalReport) -> HandleTimeFit:
    """Handle time (minutes) from interval AHT: the answered-weighted mean, cv not identified.

    The standard error is the ratio estimator's, ``√(n/(n−1)·Σ aᵢ²(hᵢ − h̄)²)/Σ aᵢ`` over
    intervals with answers; it treats intervals as independent.
    """
    src, channel = report.source, report.channel
    cv = Unfitted(
        "handle_time_cv",
        "not fitted: interval data has no per-contact handle times; cv kept from the scenario",
        src,
        channel,
    )
    if report.answered is None or report.handle_seconds_mean is None:
        reason = "not fitted: the report has no answered or handle_seconds_mean column"
        return HandleTimeFit(Unfitted("handle_time_minutes", reason, src, channel), cv, {})
    a, h = report.answered, report.handle_seconds_mean / 60.0
    use = (a > 0) & np.isfinite(h) & (h > 0)  # an AHT of 0 is a column the system leaves 0
    a, h = a[use], h[use]
    n = int(a.size)
    if n < 2:
        reason = (
            f"not fitted: {n} interval(s) with answered contacts and a handle time above 0 "
            "(2 or more needed)"
        )
        return HandleTimeFit(Unfitted("handle_time_minutes", reason, src, channel), cv, {})
    mean = float(np.dot(a, h) / a.sum())
    se = math.sqrt(n / (n - 1) * float(np.sum((a * (h - mean)) ** 2))) / float(a.sum())
    low, high = max(mean - Z_ONE_SIDED_95 * se, 1e-6), mean + Z_ONE_SIDED_95 * se
    fit = FittedInput(
        key="handle_time_minutes",
        value=mean,
        interval90=(low, high),
        distribution=normal_form(low, high, LIMITS["handle_time_minutes"]),
        method="AHT weighted by answered contacts; ratio-estimator s.e. between intervals",
        n=n,
        source=src,
        note="cv kept from the scenario: interval data has no per-contact handle times",
        channel=channel,
    )
    return HandleTimeFit(fit, cv, {})


@dataclass(frozen=True)
class PatienceCandidate:
    """One family fitted to censored waits: parameters, log-likelihood, AIC, mean and interval.

    ``shape`` is what the scenario's ``patience_shape`` means for the family (Weibull shape,
    lognormal sigma, 1 for the exponential) and ``shape_interval90`` its 90 % interval (the
    point twice for the exponential, whose shape is fixed); ``mean_minutes`` the family's mean
    patience.
    """

    family: str
    shape: float
    scale: float
    loglik: float
    aic: float
    mean_minutes: float
    interval90: tuple[float, float]
    method: str
    shape_interval90: tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class PatienceFit:
    """Patience of a realtime channel: the chosen family's inputs, the candidates, Kaplan–Meier.

    ``patience_minutes`` is the mean patience, ``patience_shape`` the chosen family's shape
    (uncertain for the Weibull and lognormal, 1 for the exponential), ``patience_dist`` the
    family (a plain setting). Kaplan–Meier (for plots):
    ``km_minutes`` (k,) the distinct waits, ``km_survival`` (k,) P(patience > t) just after
    each, ``km_low`` / ``km_high`` (k,) its pointwise 90 % interval (Greenwood). ``naive_mean``
    is the mean wait of abandoned contacts — biased low, shown for contrast.
    """

    patience_minutes: FittedInput | Unfitted
    patience_dist: FittedInput | Unfitted
    patience_shape: FittedInput | Unfitted
    candidates: tuple[PatienceCandidate, ...]
    km_minutes: np.ndarray
    km_survival: np.ndarray
    km_low: np.ndarray
    km_high: np.ndarray
    abandoned: int
    censored: int
    naive_mean: float

    def inputs(self) -> tuple[FittedInput | Unfitted, ...]:
        """The channel keys to write: mean patience, family and shape."""
        return (self.patience_minutes, self.patience_dist, self.patience_shape)


def _family(name: str) -> Any:
    return {"weibull": stats.weibull_min, "lognormal": stats.lognorm}[name]


def _loglik(name: str, shape: float, scale: float, events: np.ndarray, right: np.ndarray) -> float:
    dist = _family(name)(shape, scale=scale)
    return float(dist.logpdf(events).sum() + dist.logsf(right).sum())


def _family_mean(name: str, shape: float, scale: float) -> float:
    if name == "weibull":
        return scale * math.gamma(1 + 1 / shape)
    return scale * math.exp(shape**2 / 2)


def _fisher_log_se(
    name: str, shape: float, scale: float, e: np.ndarray, r: np.ndarray
) -> tuple[float, float]:
    """s.e. of log(mean) by the delta method, and of log(shape), from the observed information
    in (log shape, log scale): a central-difference Hessian of the log-likelihood (inf where it
    is not invertible or gives no positive variance)."""
    theta = np.array([math.log(shape), math.log(scale)])

    def nll(t: np.ndarray) -> float:
        return -_loglik(name, math.exp(t[0]), math.exp(t[1]), e, r)

    h = 1e-4
    hess = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            di, dj = np.eye(2)[i] * h, np.eye(2)[j] * h
            hess[i, j] = (
                nll(theta + di + dj)
                - nll(theta + di - dj)
                - nll(theta - di + dj)
                + nll(theta - di - dj)
            ) / (4 * h * h)
    if name == "weibull":
        c = shape
        grad = np.array([special.digamma(1 + 1 / c) / c * (-1.0), 1.0])
    else:
        grad = np.array([shape**2, 1.0])
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return math.inf, math.inf
    var, var_shape = float(grad @ cov @ grad), float(cov[0, 0])
    return (
        math.sqrt(var) if var > 0 else math.inf,
        math.sqrt(var_shape) if var_shape > 0 else math.inf,
    )


def _candidates(
    events: np.ndarray, right: np.ndarray, families: tuple[str, ...]
) -> list[PatienceCandidate]:
    d, total = events.size, float(events.sum() + right.sum())
    mean = total / d
    low, high = (2 * total / stats.chi2.ppf(q, 2 * d) for q in (0.95, 0.05))
    loglik = -d * math.log(mean) - total / mean
    found = [
        PatienceCandidate(
            family="exponential",
            shape=1.0,
            scale=mean,
            loglik=loglik,
            aic=2 - 2 * loglik,
            mean_minutes=mean,
            interval90=(low, high),
            method="maximum likelihood, exponential, censored; chi-square interval 2T/chi2(2d)",
        )
    ]
    if d < 3:  # two-parameter families need more than two abandonments to say anything
        return found
    data = stats.CensoredData(uncensored=events, right=right)
    for name in (f for f in families if f != "exponential"):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            # the optimiser tries parameters whose densities under- or overflow on its way
            warnings.simplefilter("ignore", RuntimeWarning)
            shape, _, scale = _family(name).fit(data, floc=0)
            ll = _loglik(name, shape, scale, events, right)
            try:
                m = _family_mean(name, shape, scale)
                se, se_shape = _fisher_log_se(name, shape, scale, events, right)
            except OverflowError:  # a mean beyond floats: no usable fit of this family
                continue
        if not (math.isfinite(m) and math.isfinite(se) and math.isfinite(ll)):
            continue
        found.append(
            PatienceCandidate(
                family=name,
                shape=float(shape),
                scale=float(scale),
                loglik=ll,
                aic=4 - 2 * ll,
                mean_minutes=m,
                interval90=_interval_mean(math.log(m), se),
                method=f"maximum likelihood, {name}, censored, scipy.stats.CensoredData; "
                "delta-method interval from the observed information",
                shape_interval90=_interval_mean(math.log(shape), se_shape),
            )
        )
    return found


def fit_patience(
    log: ContactLog,
    *,
    families: tuple[str, ...] = PATIENCE_FAMILIES,
    kind: str = "realtime",
) -> PatienceFit:
    """Patience (minutes) from a realtime channel's contact log, with censoring.

    Abandoned contacts are observed patience; answered and ignored ones are right-censored at
    their wait (an ignored contact was dropped by the centre while the customer still waited).
    Answered contacts with no wait carry no information (a patience > 0) and are left out.
    For realtime channels only: a deferrable channel has no patience key, and its ignored
    contacts are the centre giving up (``ignore_after_hours``), not the customer.

    ``families`` are the candidates (a subset of :data:`PATIENCE_FAMILIES`; the exponential is
    always fitted). ``kind`` is the channel's (``channels.<name>.kind``): for any kind but
    ``"realtime"`` the three keys are :class:`Unfitted`. A two-parameter family replaces the
    exponential only when a likelihood-ratio test rejects the exponential at 1 %
    (:data:`LR_MARGIN`), and then the likelier of the two is taken: under heavy censoring the
    mean is the family's extrapolation beyond the longest waits, so the simpler family stands
    unless the data reject it.
    """
    src, channel = log.source, log.channel
    wait = np.asarray(log.wait_seconds, dtype=float) / 60.0
    ok = np.isfinite(wait)
    is_event = ok & (log.outcome == ABANDONED)
    events = np.maximum(wait[is_event], _LEAST_WAIT_MINUTES)
    right = wait[ok & ~is_event & (wait > 0)]
    km_data = stats.CensoredData(uncensored=events, right=right)
    reason = ""
    if kind != "realtime":
        reason = (
            f"not fitted: patience belongs to realtime channels; {channel} is {kind!r}, whose "
            "ignored contacts are the centre giving up, not the customer"
        )
    elif events.size == 0:
        reason = (
            f"not fitted: no abandoned contacts among {right.size:,} waits; every wait is only "
            "a lower bound on patience, so its mean is not identified"
        )
    if reason:
        empty = np.zeros(0)
        mean, dist, shape = (
            Unfitted(k, reason, src, channel)
            for k in ("patience_minutes", "patience_dist", "patience_shape")
        )
        return PatienceFit(
            patience_minutes=mean,
            patience_dist=dist,
            patience_shape=shape,
            candidates=(),
            km_minutes=empty,
            km_survival=empty,
            km_low=empty,
            km_high=empty,
            abandoned=int(events.size),
            censored=int(right.size),
            naive_mean=float(events.mean()) if events.size else math.nan,
        )
    km = stats.ecdf(km_data)
    with warnings.catch_warnings():
        # Greenwood's interval is undefined where the survival is 1 or 0: NaN there, as meant.
        warnings.filterwarnings("ignore", "The confidence interval is undefined", RuntimeWarning)
        ci = km.sf.confidence_interval(0.90)
    cands = _candidates(events, right, families)
    best = max(cands, key=lambda c: c.loglik - (0.0 if c.family == "exponential" else LR_MARGIN))
    n = int(events.size + right.size)
    note = f"{events.size:,} abandoned, {right.size:,} censored (answered or ignored)"
    interval, method = best.interval90, best.method
    if best.family != "exponential":
        close = [
            c
            for c in cands
            if c.family != "exponential" and c.loglik >= best.loglik - FAMILY_MARGIN
        ]
        interval = (min(c.interval90[0] for c in close), max(c.interval90[1] for c in close))
        if len(close) > 1:
            names = " and ".join(c.family for c in close)
            method += f"; union of the {names} intervals (log-likelihoods within chi2(1) 90 %/2)"
            note += f"; {names} fit about as well: the interval spans both families' means"
    mean_fit = FittedInput(
        key="patience_minutes",
        value=best.mean_minutes,
        interval90=interval,
        distribution=normal_form(*interval, LIMITS["patience_minutes"]),
        method=method + "; family by likelihood-ratio test against the exponential at 1 %",
        n=n,
        source=src,
        note=note,
        channel=channel,
    )
    aics = ", ".join(f"{c.family} {c.aic:.1f}" for c in cands)
    dist_fit = FittedInput(
        key="patience_dist",
        value=best.family,
        interval90=NO_INTERVAL,
        distribution=best.family,
        method=f"likelihood-ratio test against the exponential at 1 % (AIC {aics})",
        n=n,
        source=src,
        channel=channel,
    )
    shape_fit = _shape_fit(best, n, src, channel)
    return PatienceFit(
        patience_minutes=mean_fit,
        patience_dist=dist_fit,
        patience_shape=shape_fit,
        candidates=tuple(cands),
        km_minutes=np.asarray(km.sf.quantiles),
        km_survival=np.asarray(km.sf.probabilities),
        km_low=np.asarray(ci.low.probabilities),
        km_high=np.asarray(ci.high.probabilities),
        abandoned=int(events.size),
        censored=int(right.size),
        naive_mean=float(events.mean()),
    )


def _shape_fit(best: PatienceCandidate, n: int, src: DataSource, channel: str) -> FittedInput:
    """``patience_shape`` of the chosen family: an uncertain input (a normal truncated to the
    scenario's range whose 5 and 95 % quantiles are the Wald interval of the log shape); a
    plain value for the exponential (1: it has no shape) and where the observed information
    gives no standard error."""
    low, high = best.shape_interval90
    limits = LIMITS["patience_shape"]
    what = "shape" if best.family == "weibull" else "sigma"
    method, note = f"maximum likelihood, {best.family} {what}, censored", ""
    if best.family == "exponential":
        method = "the exponential has no shape"
    elif not (math.isfinite(low) and math.isfinite(high) and low < high):
        note = "the observed information gives no standard error: written as a fixed value"
    else:
        if low < limits[0] or high > limits[1]:
            note = f"truncated to the scenario's range [{limits[0]:g}, {limits[1]:g}]"
        return FittedInput(
            "patience_shape", best.shape, (low, high), normal_form(low, high, limits),
            f"{method}; Wald interval of its log from the observed information",
            n, src, note, channel,
        )  # fmt: skip
    fixed = (best.shape, best.shape)
    return FittedInput("patience_shape", best.shape, fixed, best.shape, method, n, src, note,
                       channel)  # fmt: skip


def fit_patience_intervals(report: IntervalReport) -> FittedInput | Unfitted:
    """Mean patience (minutes) from interval aggregates: E[wait] / P(abandon) (Mandelbaum–Zeltyn).

    E[wait] is the ASA pooled over answered contacts of the intervals whose ASA is known
    (answered > 0 and a finite ``wait_seconds_mean``), P(abandon) abandoned over offered of
    every interval. The interval is the delta method on ``log(Σaw) − log(Σa) − log(Σab) +
    log(Σoff)`` with the covariance of the per-interval totals (intervals treated as
    independent); with one interval, or a standard error that is not finite, :class:`Unfitted`.
    """
    src, channel = report.source, report.channel
    if report.answered is None or report.abandoned is None or report.wait_seconds_mean is None:
        reason = "not fitted: the report needs answered, abandoned and wait_seconds_mean columns"
        return Unfitted("patience_minutes", reason, src, channel)
    asa = report.wait_seconds_mean
    # E[wait] from the intervals whose ASA is known; P(abandon) from every interval
    known = (report.answered > 0) & np.isfinite(asa)
    a = np.where(known, report.answered, 0.0)
    waited = np.where(known, a * np.where(known, asa, 0.0) / 60.0, 0.0)
    y = np.stack([waited, a, report.abandoned, report.offered], axis=1)
    sums = y.sum(axis=0)
    if sums[2] == 0 or sums[0] == 0:
        what = "abandoned contacts" if sums[2] == 0 else "waiting"
        reason = f"not fitted: no {what} in the report, so E[wait]/P(abandon) is not defined"
        return Unfitted("patience_minutes", reason, src, channel)
    n = int(y.shape[0])
    if n < 2:
        reason = "not fitted: one interval gives no standard error (2 or more needed)"
        return Unfitted("patience_minutes", reason, src, channel)
    mean = float(sums[0] / sums[1] * sums[3] / sums[2])
    grad = np.array([1 / sums[0], -1 / sums[1], -1 / sums[2], 1 / sums[3]])
    se = math.sqrt(max(n * float(grad @ np.cov(y, rowvar=False) @ grad), 0.0))
    if not math.isfinite(se):
        reason = "not fitted: the delta-method standard error is not finite"
        return Unfitted("patience_minutes", reason, src, channel)
    low, high = _interval_mean(math.log(mean), se)
    return FittedInput(
        key="patience_minutes",
        value=mean,
        interval90=(low, high),
        distribution=normal_form(low, high, LIMITS["patience_minutes"]),
        method="Mandelbaum-Zeltyn E[wait]/P(abandon) over intervals; delta-method interval",
        n=n,
        source=src,
        note="assumes exponential patience (P(abandon) = E[wait]/mean patience); E[wait] is "
        "the answered contacts' ASA, which leaves out abandoners' (longer) waits, so the mean "
        "patience is understated (about 15 % at 15 % abandoned): prefer a contact log",
        channel=channel,
    )

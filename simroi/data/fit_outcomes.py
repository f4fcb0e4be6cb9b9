"""Shares of contact outcomes and churn by experience class, fitted with their uncertainty.

**Shares** (``fcr``, ``public_share``, ``retry_share``) are Jeffreys beta posteriors
``Beta(k + ½, n − k + ½)``, written as the scenario's beta (mean, sd) — the posterior itself:

- ``fcr``: resolved among answered contacts (the ``resolved`` column);
- ``public_share``: public among all contacts (the ``public`` column; social channels);
- ``retry_share``: among abandoned and ignored contacts, those whose customer comes back — any
  later contact of the same ``customer_id`` in any of the logs given — the same day or on one of
  the next ``within_days`` calendar days (default 7, as "repeat within 7 days" is reported; an
  hours window would miss the returns on the 7th day later in the day than the contact), net
  of the background rate of later contacts about something else (measured after resolved
  contacts, which the model follows with no repeat):
  ``(p_failed − p_bg)/(1 − p_bg)``, the share of failed contacts that come back *because* they
  failed. Failed contacts whose window ends after the data's last day are left out, since
  their return could fall after it.

**Churn multipliers.** The model multiplies a contacted customer's monthly churn by the
class's multiplier for ``experience.effect_months`` after the contact
(``simroi/model/economics.py``, ``excess_churn_profile``), so a class's exposure should be
counted from its contact and capped at ``effect_months``: ``months_observed`` is taken as that
exposure. Each class's monthly churn hazard is its churned customers over its months observed
(a Poisson/exponential model), with the posterior
``Gamma(churned + ½, months)``. The multiplier of a class is its hazard over that of ``none``
(customers without a contact); the ratio of two independent gamma variables is a scaled beta
prime, so its quantiles are closed-form. **This is observational**: customers who contact differ
from those who do not (more engaged, more troubled), so the ratio mixes the effect of the
experience with who has it. The scenario requires multipliers ≥ 1 (good recovery restores
baseline churn), so the written input is truncated at 1; the note says when that bites and
gives the written distribution's own 5 and 95 % quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from simroi.data.fit import (
    LIMITS,
    BetaPosterior,
    FittedInput,
    Unfitted,
    beta_posterior,
    normal_form,
)
from simroi.data.frames import (
    ABANDONED,
    ANSWERED,
    IGNORED,
    ContactLog,
    CustomerOutcomes,
    DataSource,
)
from simroi.estimates import Z_ONE_SIDED_95

__all__ = [
    "REFERENCE_CLASS",
    "RETRY_WITHIN_DAYS",
    "ChurnClass",
    "ChurnFit",
    "fit_churn_multipliers",
    "fit_fcr",
    "fit_public_share",
    "fit_retry_share",
]

#: The experience class of customers without a contact: the reference of every multiplier.
REFERENCE_CLASS = "none"
_DAY_S = 86_400
#: A failed contact counts as retried when its customer contacts again the same day or within this
#: many calendar days after it.
RETRY_WITHIN_DAYS = 7


def fit_fcr(log: ContactLog) -> FittedInput | Unfitted:
    """First-contact resolution: resolved among answered contacts."""
    if log.resolved is None:
        return Unfitted(
            "fcr", "not fitted: the log has no resolved column", log.source, log.channel
        )
    answered = log.outcome == ANSWERED
    return beta_posterior(
        "fcr",
        np.asarray(log.resolved[answered], dtype=bool),
        source=log.source,
        channel=log.channel,
        what="resolved among answered",
    )


def fit_public_share(log: ContactLog) -> FittedInput | Unfitted:
    """Public share: public posts among all contacts."""
    if log.public is None:
        return Unfitted(
            "public_share", "not fitted: the log has no public column", log.source, log.channel
        )
    return beta_posterior(
        "public_share",
        np.asarray(log.public, dtype=bool),
        source=log.source,
        channel=log.channel,
        what="public among all contacts",
    )


def fit_retry_share(
    log: ContactLog,
    others: Sequence[ContactLog] = (),
    *,
    within_days: int = RETRY_WITHIN_DAYS,
) -> FittedInput | Unfitted:
    """Retry share: abandoned or ignored contacts whose customer contacts again the same day or
    within ``within_days`` calendar days on any channel (``log`` itself and ``others``, the
    other channels' logs of the same read, whose customer codes agree).

    Any later contact counts, including one about something else. Where the log has
    ``resolved``, the same share after resolved contacts (which the model follows with no
    repeat) is the background rate ``p_bg``, and the estimate is the net share
    ``(p_failed − p_bg)/(1 − p_bg)`` — a failed contact comes back when it retries or, failing
    that, for something else — floored at 0. Its interval is the delta method on the two
    Jeffreys posteriors (their means and variances), clipped to [0, 1]. Without ``resolved``,
    or no resolved contact to measure the background after, the gross share's posterior is
    written and the note says it is not net of the background.
    """
    src, channel = log.source, log.channel
    if log.customer_id is None or log.rows == 0:
        what = "no customer_id column" if log.customer_id is None else "no contacts"
        return Unfitted("retry_share", f"not fitted: the log has {what}", src, channel)
    failed = (log.outcome == ABANDONED) | (log.outcome == IGNORED)
    returned, observable = _followed(log, others, failed, within_days)
    fit = beta_posterior(
        "retry_share",
        returned,
        source=src,
        channel=channel,
        what=f"abandoned or ignored contacts followed by the customer's next contact within "
        f"{within_days} calendar days",
    )
    if isinstance(fit, Unfitted):
        reason = (
            "not fitted: no abandoned or ignored contact with a customer_id at least "
            f"{within_days} days before the data's last day"
        )
        return Unfitted("retry_share", reason, src, channel)
    note = f"{observable:,} failed contacts at least {within_days} days before the data's last day"
    background, seen = np.zeros(0, dtype=bool), 0
    if log.resolved is not None:
        resolved = (log.outcome == ANSWERED) & np.asarray(log.resolved, dtype=bool)
        background, seen = _followed(log, others, resolved, within_days)
    if not seen:
        why = "no resolved column" if log.resolved is None else "no resolved contact to compare"
        return replace(
            fit,
            note=f"{note}; gross share, not net of later contacts about something else ({why})",
        )
    return _net_retry(fit, returned, background, note)


def _net_retry(
    gross: FittedInput, returned: np.ndarray, background: np.ndarray, note: str
) -> FittedInput:
    """``(p_f − p_bg)/(1 − p_bg)`` from the returns after failed (``returned``) and resolved
    (``background``) contacts, with a delta-method interval on the Jeffreys posteriors."""
    failed = BetaPosterior(int(np.count_nonzero(returned)), int(returned.size))
    bg = BetaPosterior(int(np.count_nonzero(background)), int(background.size))
    p_f, p_b = failed.successes / failed.trials, bg.successes / bg.trials
    (m_f, v_f), (m_b, v_b) = (
        (float(d.mean()), float(d.var()))
        for d in (stats.beta(p.alpha, p.beta) for p in (failed, bg))
    )
    net = (p_f - p_b) / (1 - p_b) if p_b < 1 else 0.0
    # gradient of (f − b)/(1 − b) at the posterior means
    se = math.sqrt(v_f / (1 - m_b) ** 2 + v_b * (1 - m_f) ** 2 / (1 - m_b) ** 4)
    lo, hi = LIMITS["retry_share"]
    low = min(max(net - Z_ONE_SIDED_95 * se, lo), hi)
    high = min(max(net + Z_ONE_SIDED_95 * se, lo), hi)
    value = min(max(net, lo), hi)
    note += (
        f"; net of the background: {p_f:.1%} of failed and {p_b:.1%} of resolved contacts "
        f"({bg.trials:,}) come back within the window, (p_failed - p_bg)/(1 - p_bg)"
    )
    if net < 0:
        note += "; floored at 0 (no more returns after failed contacts than after resolved)"
    elif low == lo:
        note += "; the interval's lower end floored at 0"
    form: float | dict[str, Any] = (
        lo if high <= lo else normal_form(low, high, LIMITS["retry_share"])
    )
    return replace(
        gross,
        value=value,
        interval90=(low, high),
        distribution=form,
        method=gross.method + "; net of the rate after resolved contacts, delta-method interval",
        note=note,
    )


def _followed(
    log: ContactLog, others: Sequence[ContactLog], chosen: np.ndarray, days: int
) -> tuple[np.ndarray, int]:
    """Whether each ``chosen`` contact of ``log`` is followed by a contact of the same customer
    (in ``log`` or ``others``) by the end of the ``days``-th calendar day after its own, among
    those at least ``days`` days before the data's last day (taken as whole); and how many
    those are."""
    logs = [log, *(o for o in others if o.customer_id is not None and o.rows > 0)]
    seconds = [lg.arrived_at.astype("datetime64[s]").astype(np.int64) for lg in logs]
    t = np.concatenate(seconds)
    cust = np.concatenate([np.asarray(lg.customer_id, dtype=np.int64) for lg in logs])
    # one sortable key per contact: customer, then time (seconds since the first contact)
    t0, span = int(t.min()), int(t.max() - t.min()) + 1
    key = np.sort(cust * span + (t - t0))
    own_t = seconds[0][chosen]
    own_c = np.asarray(log.customer_id, dtype=np.int64)[chosen]
    own_day = own_t // _DAY_S
    observable = own_day + days <= int(t.max()) // _DAY_S
    own_t, own_c = own_t[observable], own_c[observable]
    deadline = (own_day[observable] + days + 1) * _DAY_S  # the window's first second after it
    nxt = np.searchsorted(key, own_c * span + (own_t - t0), side="right")
    found = nxt < key.size
    nxt_key = key[np.minimum(nxt, key.size - 1)]
    same = found & (nxt_key // span == own_c) & (nxt_key % span + t0 < deadline)
    return same, int(observable.sum())


@dataclass(frozen=True)
class ChurnClass:
    """One experience class's counts, its monthly hazard and its multiplier against ``none``.

    ``monthly_hazard`` is churned / exposure months (the maximum-likelihood rate);
    ``multiplier`` is None for the reference class itself.
    """

    experience: str
    customers: int
    churned: int
    exposure_months: float
    monthly_hazard: float
    multiplier: FittedInput | Unfitted | None


@dataclass(frozen=True)
class ChurnFit:
    """Churn by experience class, reference (``none``) first, then the classes in name order."""

    classes: tuple[ChurnClass, ...]
    note: str

    def inputs(self) -> tuple[FittedInput | Unfitted, ...]:
        """The ``experience.churn_multiplier_<class>`` keys to write (every class but
        ``none``); a class the scenario does not know is the caller's to report."""
        return tuple(c.multiplier for c in self.classes if c.multiplier is not None)


_OBSERVATIONAL = (
    "observational: customers who contact differ from those who do not, so this ratio mixes "
    "the experience's effect with who has it"
)


def _ratio_quantiles(
    churned: int, exposure: float, ref_churned: int, ref_exposure: float, q: np.ndarray
) -> np.ndarray:
    """Quantiles of λ/λ₀ with λ ~ Gamma(churned + ½, exposure) and λ₀ ~ Gamma(ref + ½,
    ref_exposure) independent: ``(ref_exposure/exposure) × BetaPrime(churned + ½, ref + ½)``."""
    scale = ref_exposure / exposure
    return np.asarray(scale * stats.betaprime.ppf(q, churned + 0.5, ref_churned + 0.5))


def fit_churn_multipliers(
    outcomes: CustomerOutcomes, *, effect_months: int | None = None
) -> ChurnFit:
    """``experience.churn_multiplier_<class>`` for every class in the data but ``none``.

    The value is the posterior median of the hazard ratio (always defined, also with no churn
    in a class), the interval its 5–95 % range. A ratio whose 95 % quantile lies beyond the
    scenario's limit (no churn, or nearly none, among ``none``: nothing bounds it) is not
    fitted.

    ``months_observed`` is each customer's exposure. The model applies a multiplier for
    ``effect_months`` after the contact, so for contacted classes the exposure should be
    counted from the contact and capped at ``effect_months`` (the scenario's
    ``experience.effect_months``); the data cannot be re-cut here. Given ``effect_months``,
    a class whose months observed exceed it gets a note: the share ``f`` of its exposure
    within the first ``effect_months`` of each customer, and that the fitted excess
    (multiplier − 1) is then about ``f`` times the model's (diluted by the months after the
    effect, when churn is back at the base rate).
    """
    src = outcomes.source
    experience = np.asarray(outcomes.experience).astype(str)
    months = np.asarray(outcomes.months_observed, dtype=float)
    churned = np.asarray(outcomes.churned, dtype=bool)
    rows = []
    mask_of = {}
    for name in sorted(set(experience.tolist()), key=lambda c: (c != REFERENCE_CLASS, c)):
        mask = mask_of[name] = experience == name
        exposure = float(months[mask].sum())
        events = int(churned[mask].sum())
        rows.append((name, int(mask.sum()), events, exposure, events / exposure))
    reference = next((r for r in rows if r[0] == REFERENCE_CLASS), None)
    classes = []
    for name, customers, events, exposure, hazard in rows:
        multiplier: FittedInput | Unfitted | None = None
        key = f"experience.churn_multiplier_{name}"
        if name == REFERENCE_CLASS:
            pass
        elif reference is None:
            reason = f"not fitted: no customers of class {REFERENCE_CLASS!r} to compare with"
            multiplier = Unfitted(key, reason, src)
        else:
            _, _, ref_events, ref_exposure, _ = reference
            p05, p50, p95 = _ratio_quantiles(
                events, exposure, ref_events, ref_exposure, np.array([0.05, 0.5, 0.95])
            )
            ceiling = LIMITS["churn_multiplier"][1]
            if p95 > ceiling:  # no churn among 'none', or too little: nothing bounds the ratio
                multiplier = Unfitted(
                    key,
                    f"not fitted: the data cannot bound it (5-95 %: {p05:.3g}-{p95:.3g}, beyond "
                    f"the scenario's limit of {ceiling:g}; {ref_events:,} of {reference[1]:,} "
                    f"{REFERENCE_CLASS!r} customers churned, {events:,} of {customers:,} "
                    f"{name!r}): the scenario's value stays",
                    src,
                )
                classes.append(ChurnClass(name, customers, events, exposure, hazard, multiplier))
                continue
            multiplier = _multiplier_input(
                key,
                float(p50),
                (float(p05), float(p95)),
                customers + reference[1],
                src,
                f"{customers:,} customers, {events:,} churned in {exposure:,.0f} months vs "
                f"{REFERENCE_CLASS}: {reference[1]:,}, {ref_events:,} in {ref_exposure:,.0f}"
                + _dilution(months[mask_of[name]], effect_months),
            )
        classes.append(ChurnClass(name, customers, events, exposure, hazard, multiplier))
    return ChurnFit(tuple(classes), _OBSERVATIONAL)


def _dilution(months: np.ndarray, effect_months: int | None) -> str:
    """The note on exposure beyond ``effect_months`` (empty when none or not given)."""
    if effect_months is None or months.size == 0:
        return ""
    total = float(months.sum())
    beyond = float(np.maximum(months - effect_months, 0.0).sum())
    if beyond <= 0 or total <= 0:
        return ""
    within = 1 - beyond / total
    return (
        f"; months observed exceed effect_months = {effect_months} for "
        f"{np.count_nonzero(months > effect_months):,} customers ({beyond:,.0f} of "
        f"{total:,.0f} months, {beyond / total:.0%}, lie beyond it): if the effect lasts "
        f"effect_months, the fit dilutes the multiplier, its excess over 1 being about "
        f"{within:.2f} of the model's"
    )


def _multiplier_input(
    key: str,
    median: float,
    interval: tuple[float, float],
    n: int,
    src: DataSource,
    counts: str,
) -> FittedInput:
    low, high = interval
    limits = LIMITS["churn_multiplier"]
    note = f"{_OBSERVATIONAL}; {counts}"
    if high <= limits[0]:
        form: float | dict[str, Any] = limits[0]
        note += "; wholly below 1, written as 1 (the scenario requires multipliers >= 1)"
    else:
        form = normal_form(low, high, limits)
        if low < limits[0]:
            a, b = ((x - form["mean"]) / form["sd"] for x in (form["low"], form["high"]))
            q05, q95 = stats.truncnorm(a, b, loc=form["mean"], scale=form["sd"]).ppf([0.05, 0.95])
            note += (
                "; the data allow values below 1 (this experience lowering churn), which the "
                "scenario does not (a multiplier is at least 1): the range is truncated at 1, "
                f"so the multiplier drawn runs {q05:.3g}-{q95:.3g} (90 %), narrower and higher "
                "than the data's interval"
            )
    return FittedInput(
        key=key,
        value=median,
        interval90=interval,
        distribution=form,
        method="monthly hazard ratio to 'none', Poisson exposure, Gamma(d+1/2, months) "
        "posteriors; median and 5-95 % of the ratio (beta prime)",
        n=n,
        source=src,
        note=note,
    )

"""What a fit to the user's data gives: a scenario input with its sampling uncertainty.

Every number ``simroi calibrate`` writes is a :class:`FittedInput`: the scenario key it fills, the
point estimate, the 90 % interval of its sampling uncertainty (a confidence interval or the
posterior's 5–95 % range), the uncertain input to write into the scenario — a distribution whose
own 5 and 95 % quantiles are that interval — and where it came from (file, rows, method, n). A
number the data cannot tell (patience without a single abandoned contact, day-to-day variation
from one day) is an :class:`Unfitted` with the reason, which ``calibrate`` reports and leaves the
scenario's value in place: not an exception, because the other fits of the same files stand.

**Keys.** ``key`` is the scenario key *relative to its section*: for a channel key it is relative
to the channel, ``handle_time_minutes`` meaning ``channels.<channel>.handle_time_minutes`` (the
``channel`` field names it); the churn multipliers are ``experience.churn_multiplier_<class>``
with ``channel`` None. :attr:`FittedInput.scenario_key` gives the full dotted key either way.

**Distribution forms.** The scenario loader checks an uncertain input's *whole support* against
the key's range (``simroi/scenario/rules.py``): handle time and patience must be > 0 (1e-6), a
churn multiplier ≥ 1 and ≤ 100, ``busyness_cv`` in [0, 2]. A gamma or lognormal has the support
(0, ∞) whose quantile at 0 is 0, which the loader rejects for "> 0" keys. So a positive or bounded
quantity is written as a normal truncated to the key's range, ``{"dist": "normal", "mean": m,
"sd": s, "low": lo, "high": hi}``, with ``m`` and ``s`` set so that the 5 and 95 % quantiles of the
parent normal are the interval's ends (an estimator's sampling distribution is asymptotically
normal; for an asymmetric interval the mean is the interval's midpoint, not the point estimate).
A probability is a beta given by mean and sd (the Jeffreys posterior itself). Profiles, opening
hours and families are plain values; a profile's and the weekday factors' uncertainty is their
Dirichlet concentration, a plain number too (:mod:`simroi.data.fit_shares`). The limits below
repeat the loader's ranges because ``data`` may not import ``scenario``;
``tests/data/test_fit_forms.py`` loads every form through the real loader so the two cannot
drift apart unnoticed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from simroi.data.frames import DataSource
from simroi.estimates import Z_ONE_SIDED_95

__all__ = [
    "LIMITS",
    "NO_INTERVAL",
    "BetaPosterior",
    "FittedInput",
    "Unfitted",
    "beta_posterior",
    "normal_form",
]

#: The range of each key a fit fills, as the scenario loader checks it (``scenario/rules.py``).
LIMITS: dict[str, tuple[float, float]] = {
    "contacts_per_customer_per_year": (0.0, math.inf),
    "handle_time_minutes": (1e-6, math.inf),
    "handle_time_cv": (1e-6, 10.0),
    "patience_minutes": (1e-6, math.inf),
    "patience_shape": (0.01, 20.0),
    "busyness_cv": (0.0, 2.0),
    "churn_multiplier": (1.0, 100.0),
    "retry_share": (0.0, 1.0),
    "concentration": (0.0, 1e12),  # intraday_profile_ and weekday_factors_concentration
}

#: The ``interval90`` of a plain setting (profile, hours, family): none to show.
NO_INTERVAL = (math.nan, math.nan)


@dataclass(frozen=True)
class FittedInput:
    """One scenario input fitted to data, with its sampling uncertainty and provenance.

    Attributes
    ----------
    key : str
        The key it fills, relative to the channel for channel keys (``handle_time_minutes``) and
        in full for the others (``experience.churn_multiplier_ignored``).
    value : float or list of float or str or dict
        Point estimate in the key's units (minutes, a share, a multiplier); a list for profiles,
        a family name (``patience_dist``), the ``hours`` table ``{"open", "close", "days"}``.
    interval90 : tuple of float
        ``(low, high)``: 90 % confidence interval or posterior 5–95 % range of ``value``;
        :data:`NO_INTERVAL` (NaN ends) for plain settings — profiles, hours, a family name — and
        equal ends for a number fixed by the model (the exponential's ``patience_shape``).
    distribution : dict or float or list or str
        What to write into the scenario TOML for ``key``: an inline table (its 5 and 95 %
        quantiles are ``interval90``, unless the key's range truncates them, which ``note``
        says) or a plain value.
    method : str
        One line: the estimator and the interval.
    n : int
        Observations used (contacts, intervals, days or customers, as ``method`` says).
    source : DataSource
        The file and rows behind it.
    note : str
        What the reader must know (an assumption kept, a truncation, observational data).
    channel : str or None
        The channel of a channel key; None for keys outside ``[channels]``.
    """

    key: str
    value: Any
    interval90: tuple[float, float]
    distribution: Any
    method: str
    n: int
    source: DataSource
    note: str = ""
    channel: str | None = None

    @property
    def scenario_key(self) -> str:
        """The full dotted key: ``channels.phone.handle_time_minutes``."""
        return self.key if self.channel is None else f"channels.{self.channel}.{self.key}"

    @property
    def is_uncertain(self) -> bool:
        """Whether ``distribution`` is an uncertain input (an inline table with ``dist``)."""
        return isinstance(self.distribution, dict) and "dist" in self.distribution

    @property
    def source_text(self) -> str:
        """The ``source`` string for the scenario: file, rows, dates, method and n."""
        return f"{self.source.describe()}; {self.method}; n={self.n:,}"


@dataclass(frozen=True)
class Unfitted:
    """A key the data cannot tell, and why (``calibrate`` keeps the scenario's value)."""

    key: str
    reason: str
    source: DataSource
    channel: str | None = None

    @property
    def scenario_key(self) -> str:
        """The full dotted key, as :attr:`FittedInput.scenario_key`."""
        return self.key if self.channel is None else f"channels.{self.channel}.{self.key}"


def normal_form(low: float, high: float, limits: tuple[float, float]) -> dict[str, Any]:
    """A normal, truncated to ``limits``, whose parent's 5 and 95 % quantiles are low and high.

    Parameters
    ----------
    low, high : float
        The 90 % interval to match (``low < high``; equal ends get a tiny spread so the form is
        valid).
    limits : tuple of float
        The key's range ``(lo, hi)``; an infinite end is left open.
    """
    mean = (low + high) / 2
    sd = max((high - low) / (2 * Z_ONE_SIDED_95), 1e-9 * max(abs(mean), 1.0))
    lo, hi = limits
    form: dict[str, Any] = {"dist": "normal", "mean": mean, "sd": sd}
    if math.isfinite(lo):
        form["low"] = lo
    if math.isfinite(hi):
        form["high"] = hi
    return _inside_limits(form, lo, hi)


def _inside_limits(form: dict[str, Any], lo: float, hi: float) -> dict[str, Any]:
    """``form`` with its ends moved inward just enough that the truncated normal's support as
    scipy computes it (``truncnorm.ppf`` at 0 and 1, which the loader checks against the key's
    range) lies within ``[lo, hi]``: the inversion through the standardised end misses it by
    a few ulps of the mean. The step starts at one ulp of ``|mean| + sd`` and doubles."""
    mean, sd = form["mean"], form["sd"]
    step = float(np.spacing(abs(mean) + sd))
    for _ in range(64):
        low, high = form.get("low", -math.inf), form.get("high", math.inf)
        end_low, end_high = stats.truncnorm(
            (low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd
        ).ppf([0.0, 1.0])
        if end_low >= lo and end_high <= hi:
            break
        if end_low < lo:
            form["low"] = low + step
        if end_high > hi:
            form["high"] = high - step
        step *= 2
    return form


@dataclass(frozen=True)
class BetaPosterior:
    """The Jeffreys posterior ``Beta(k + ½, n − k + ½)`` of a share from ``k`` of ``n``."""

    successes: int
    trials: int

    @property
    def alpha(self) -> float:
        return self.successes + 0.5

    @property
    def beta(self) -> float:
        return self.trials - self.successes + 0.5

    def interval90(self) -> tuple[float, float]:
        """The posterior's 5 and 95 % quantiles (the Jeffreys interval)."""
        low, high = stats.beta.ppf([0.05, 0.95], self.alpha, self.beta)
        return float(low), float(high)

    def form(self) -> dict[str, Any]:
        """``{"dist": "beta", "mean": …, "sd": …}``: the posterior itself, as the scenario's
        beta (given by mean and sd) has the same two parameters."""
        dist = stats.beta(self.alpha, self.beta)
        return {"dist": "beta", "mean": float(dist.mean()), "sd": float(dist.std())}


def beta_posterior(
    key: str,
    successes: np.ndarray,
    *,
    source: DataSource,
    channel: str | None,
    what: str,
) -> FittedInput | Unfitted:
    """A share fitted as the Jeffreys posterior of the booleans ``successes``, shape ``(n,)``.

    ``what`` names the share for the method line (``"resolved among answered"``). None
    observed gives :class:`Unfitted`.
    """
    n = int(successes.size)
    if n == 0:
        return Unfitted(key, f"not fitted: no contacts for {what}", source, channel)
    post = BetaPosterior(int(np.count_nonzero(successes)), n)
    return FittedInput(
        key=key,
        value=post.successes / n,
        interval90=post.interval90(),
        distribution=post.form(),
        method=f"share {what}; Jeffreys beta posterior Beta(k+1/2, n-k+1/2), 5-95 %",
        n=n,
        source=source,
        channel=channel,
    )

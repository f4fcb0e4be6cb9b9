"""Customer economics: from contact outcomes to customers kept, won and lost, and to money.

Everything is vectorized over the trials of a block; the only loop is over months, in
:mod:`simroi.model.block`. Conventions (stated once, tested in ``tests/model/test_economics.py``):

* Cash flows of month *m* (1-based) fall at its end and are discounted by ``(1 + i_m)^m`` with the
  monthly rate ``i_m = (1 + i)^(1/12) − 1``; one-off program costs fall at t0, undiscounted (TEI).
* A customer alive at the end of a month pays that month's margin, so a cohort with constant
  churn ``1 − r`` has present value ``m·r/(1 + i − r)`` (Gupta & Lehmann 2003) — :func:`clv`.
* An experience of class *k* multiplies that customer's churn hazard by ``M_k`` for
  ``effect_months``; the *extra* expected leavers ``(1−hM)^j·hM − (1−h)^j·h`` in month *j* after
  the contact are scheduled in a pipeline. Counts are expected values (the base is large); the
  randomness that matters — inputs, queues, viral posts — is sampled.
* Word of mouth is one hop (Goel, Watts & Goldstein 2012): a post reaches its author's followers
  (lognormal, heavy-tailed), a share of whom see it. The tail (posts by authors above the 96th
  percentile of followers) is sampled post by post so that a viral complaint can happen; the bulk
  is taken at its expectation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from simroi.model.response import ResponseValues
from simroi.scenario.quantiles import poisson_ppf
from simroi.scenario.spec import EXPERIENCE_CLASSES

__all__ = [
    "LINE_ITEMS_BENEFIT",
    "LINE_ITEMS_COST",
    "MAX_TAIL_POSTS",
    "CustomerState",
    "EconomicsInputs",
    "WomReach",
    "clv",
    "excess_churn_profile",
    "judged_classes",
    "monthly_discount_rate",
    "post_impressions",
    "return_on_costs",
]

LINE_ITEMS_BENEFIT = (
    "retained_margin",
    "word_of_mouth",
    "spend_uplift",
    "deflection_savings",
    "repeat_contact_savings",
    "staffing_savings",
    "terminal_value",
)
LINE_ITEMS_COST = ("agents", "contact_handling", "tools", "setup", "training")


def clv(margin: np.ndarray | float, retention: np.ndarray | float, discount: np.ndarray | float):
    """Customer lifetime value ``m·r/(1 + i − r)`` per period, infinite horizon.

    Parameters
    ----------
    margin : margin per period, collected at the end of each retained period
    retention : probability of staying a period (1 − churn), in [0, 1)
    discount : discount rate per period
    """
    return np.asarray(margin) * retention / (1.0 + np.asarray(discount) - retention)


def return_on_costs(npv: np.ndarray, pv_costs: np.ndarray) -> np.ndarray:
    """ROI = NPV / PV of costs per trial; NaN where the PV of costs is not positive."""
    positive = pv_costs > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(positive, npv / np.where(positive, pv_costs, 1.0), np.nan)


def monthly_discount_rate(annual: np.ndarray) -> np.ndarray:
    """The monthly rate equivalent to an annual discount rate."""
    return np.power(1.0 + np.asarray(annual, dtype=float), 1.0 / 12.0) - 1.0


def judged_classes(classes: np.ndarray, retry_share: np.ndarray | float, rule: str) -> np.ndarray:
    """Contacts by the class their customer is judged by, (trials, 5) like ``classes``.

    Under ``rule == "final"`` the retrying share of abandoned and ignored contacts moves to the
    unresolved class (the effort of coming back; the retry itself is a contact of next month
    and counts with its own outcome); under ``"each"`` the classes are returned unchanged. The
    total is kept: every contact is judged once.
    """
    if rule == "each":
        return classes
    out = classes.copy()
    share = np.asarray(retry_share, dtype=float)
    unresolved, abandoned, ignored = (
        EXPERIENCE_CLASSES.index(k) for k in ("unresolved", "abandoned", "ignored")
    )
    retried = share * (classes[:, abandoned] + classes[:, ignored])
    out[:, abandoned] -= share * classes[:, abandoned]
    out[:, ignored] -= share * classes[:, ignored]
    out[:, unresolved] += retried
    return out


def excess_churn_profile(hazard: np.ndarray, multiplier: np.ndarray, months: int) -> np.ndarray:
    """Extra expected leavers per affected customer in each of the ``months`` after a contact.

    Shape (trials, months): ``(1−hM)^j·hM − (1−h)^j·h`` for j = 0 … months−1; the sum is
    ``(1−h)^months − (1−hM)^months``.
    """
    j = np.arange(months)[None, :]
    h = np.clip(hazard, 0.0, 1.0)[:, None]
    hm = np.clip(hazard * multiplier, 0.0, 1.0)[:, None]
    return (1.0 - hm) ** j * hm - (1.0 - h) ** j * h


@dataclass(frozen=True)
class WomReach:
    """Reach of one public post: followers lognormal(median, sigma) × impression rate."""

    followers_median: float
    followers_sigma: float
    tail_quantile: float = 0.96

    @property
    def threshold(self) -> float:
        """Followers at the tail quantile: posts above it are sampled one by one."""
        z = special.ndtri(self.tail_quantile)
        return float(self.followers_median * np.exp(self.followers_sigma * z))

    def bulk_mean(self) -> float:
        """E[followers; followers ≤ threshold] (partial expectation of the lognormal)."""
        mu, s = np.log(self.followers_median), self.followers_sigma
        z = (np.log(self.threshold) - mu) / s
        return float(np.exp(mu + s**2 / 2) * special.ndtr(z - s))


#: Tail (viral) posts sampled one by one per trial and month; beyond, the tail is truncated.
MAX_TAIL_POSTS = 4096


def post_impressions(
    posts: np.ndarray,
    impression_rate: np.ndarray,
    reach: WomReach,
    u_count: np.ndarray,
    u_tail: np.ndarray | np.random.Generator,
) -> np.ndarray:
    """Impressions of ``posts`` public posts per trial (posts may be fractional expected counts).

    ``u_count`` (trials,) and ``u_tail`` (k, trials) are uniforms from common streams; the number
    of tail posts is Poisson by inversion, so more posts never means fewer viral ones. ``u_tail``
    may be a generator instead: then just the rows needed are drawn (at most
    :data:`MAX_TAIL_POSTS`), and since the first rows of a bigger draw are the same numbers,
    worlds with more posts still share their first tail posts.
    """
    p_tail = 1.0 - reach.tail_quantile
    tail_count = poisson_ppf(u_count, np.maximum(posts, 0.0) * p_tail)
    cap = MAX_TAIL_POSTS if isinstance(u_tail, np.random.Generator) else u_tail.shape[0]
    k = min(int(tail_count.max(initial=0)), cap)
    if isinstance(u_tail, np.random.Generator):
        u_tail = u_tail.random((k, posts.shape[0]))
    mu, s = np.log(reach.followers_median), reach.followers_sigma
    # Followers of a tail post: the lognormal conditioned above the threshold, by inversion,
    # for the posts that exist only (row r of trial t if r < its count), summed per trial.
    posted = np.arange(k)[:, None] < tail_count[None, :]
    q = reach.tail_quantile + (1.0 - reach.tail_quantile) * u_tail[:k][posted]
    tail_followers = np.exp(mu + s * special.ndtri(np.minimum(q, 1.0 - 1e-16)))
    trial = np.nonzero(posted)[1]
    tail_sum = np.bincount(trial, weights=tail_followers, minlength=posts.shape[0])
    bulk = np.maximum(posts, 0.0) * reach.bulk_mean()
    return (bulk + tail_sum) * impression_rate


@dataclass(frozen=True)
class EconomicsInputs:
    """Per-trial economic inputs of one scenario, arrays of shape (trials,)."""

    customers0: np.ndarray
    margin: np.ndarray  # per customer per month
    hazard: np.ndarray  # monthly churn
    monthly_discount: np.ndarray
    acquisition_cost: np.ndarray
    prospects: np.ndarray
    replace_churn: bool
    churn_multipliers: np.ndarray  # (trials, 5) by experience class
    effect_months: int
    spend_uplift: np.ndarray
    spend_uplift_months: int
    post_share: np.ndarray  # (trials, 5) probability a non-public contact is posted, by class
    positive_share: np.ndarray  # share of public fast resolutions read as positive
    impression_rate: np.ndarray
    customer_share: np.ndarray
    acquisition_per_positive: np.ndarray
    churn_per_negative: np.ndarray
    lost_prospect_per_negative: np.ndarray
    reach: WomReach
    # Channels with a response-time curve: their resolved replies take its values instead.
    response_values: Mapping[str, ResponseValues] = field(default_factory=dict)


@dataclass
class CustomerState:
    """The customer base of one scenario through the months of one block.

    ``core`` are customers at the start (and their organic replacements); ``wom`` customers won
    by word of mouth. ``extra_churn`` and ``uplift`` are pipelines (trials, horizon) of extra
    leavers and extra margin scheduled by earlier experiences.
    """

    econ: EconomicsInputs
    horizon: int
    core: np.ndarray = field(init=False)
    wom: np.ndarray = field(init=False)
    extra_churn: np.ndarray = field(init=False)
    uplift: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        trials = self.econ.customers0.shape[0]
        self.core = self.econ.customers0.astype(float).copy()
        self.wom = np.zeros(trials)
        pad = self.horizon + max(self.econ.effect_months, self.econ.spend_uplift_months)
        self.extra_churn = np.zeros((trials, pad))
        self.uplift = np.zeros((trials, pad))

    @property
    def customers(self) -> np.ndarray:
        """Customers now (trials,)."""
        return self.core + self.wom

    @property
    def customer_value(self) -> np.ndarray:
        """What a customer is worth from here on, per trial: :func:`clv` of the margin, retention
        1 − hazard and the monthly discount rate (the terminal value's and lifetime view's CLV)."""
        e = self.econ
        return clv(e.margin, 1.0 - e.hazard, e.monthly_discount)

    def record_experiences(
        self,
        month: int,
        classes: np.ndarray,
        uplifted: np.ndarray,
        bands: Sequence[tuple[np.ndarray, ResponseValues]] = (),
    ) -> None:
        """Schedule the churn and spend effects of this month's contacts.

        classes : (trials, 5) contacts by experience class; uplifted : (trials,) fast resolutions
        on channels whose answers lift spend; bands : for each channel with a response-time
        curve, its resolved replies by band (trials, bands) and the curve, whose churn
        multipliers and spend uplifts they take (they are not in ``classes`` nor ``uplifted``).
        """
        e = self.econ
        for k in range(classes.shape[1]):
            profile = excess_churn_profile(e.hazard, e.churn_multipliers[:, k], e.effect_months)
            self.extra_churn[:, month : month + e.effect_months] += classes[:, k : k + 1] * profile
        extra = uplifted * e.spend_uplift * e.margin
        for counts, curve in bands:
            for b in range(counts.shape[1]):
                profile = excess_churn_profile(
                    e.hazard, curve.churn_multipliers[:, b], e.effect_months
                )
                self.extra_churn[:, month : month + e.effect_months] += counts[:, b, None] * profile
            extra = extra + (counts * curve.spend_uplift).sum(axis=1) * e.margin
        self.uplift[:, month : month + e.spend_uplift_months] += extra[:, None]

    def word_of_mouth(
        self,
        positive_posts: np.ndarray,
        negative_posts: np.ndarray,
        u: tuple[
            np.ndarray,
            np.ndarray | np.random.Generator,
            np.ndarray,
            np.ndarray | np.random.Generator,
        ],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Impressions of this month's posts and what they do.

        Returns positive and negative impressions, customers won (net of prospects lost) and
        existing customers lost, all (trials,).
        """
        e = self.econ
        u_pos, tail_pos, u_neg, tail_neg = u
        pos = post_impressions(positive_posts, e.impression_rate, e.reach, u_pos, tail_pos)
        neg = post_impressions(negative_posts, e.impression_rate, e.reach, u_neg, tail_neg)
        on_prospects = 1.0 - e.customer_share
        won = pos * on_prospects * e.acquisition_per_positive
        lost_prospects = neg * on_prospects * e.lost_prospect_per_negative
        # Word of mouth cannot win or lose more prospects than there are.
        net_won = np.clip(won - lost_prospects, -e.prospects, e.prospects)
        churned = neg * e.customer_share * e.churn_per_negative
        return pos, neg, net_won, churned

    def step(
        self, month: int, net_won: np.ndarray, wom_churned: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Advance the base through ``month`` and return its margin lines (trials,)."""
        e = self.econ
        customers = self.customers
        share_core = np.where(customers > 0, self.core / np.where(customers > 0, customers, 1), 1.0)
        leave = e.hazard * customers + self.extra_churn[:, month] + wom_churned
        leave = np.minimum(leave, customers)
        organic = e.hazard * e.customers0 if e.replace_churn else 0.0
        self.core = np.maximum(self.core - leave * share_core + organic, 0.0)
        self.wom = self.wom - leave * (1.0 - share_core) + net_won
        return {
            "retained_margin": self.core * e.margin,
            "word_of_mouth": self.wom * e.margin - np.maximum(net_won, 0.0) * e.acquisition_cost,
            "spend_uplift": self.uplift[:, month] * np.minimum(1.0, customers / e.customers0),
        }

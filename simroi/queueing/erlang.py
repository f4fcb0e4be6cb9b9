"""Steady-state queueing theory for one pool of agents: simroi's test oracle and staffing seed.

Three Markovian models, all with Poisson arrivals (rate λ), exponential handle times (mean AHT,
rate μ = 1/AHT), ``c`` identical agents and first-come-first-served order:

* **M/M/c/c (Erlang B)** — no waiting room; a contact that finds every agent busy is lost.
* **M/M/c (Erlang C)** — infinitely patient customers; stable only when the offered load
  A = λ·AHT is below ``c``.
* **M/M/c+M (Erlang A, Palm)** — each waiting customer abandons after an exponential patience
  (mean 1/θ). Abandonment keeps the queue finite, so it is stable at any load. Its metrics are
  computed *exactly* from the birth–death stationary distribution and from the path of a tagged
  customer, not from asymptotic approximations (Garnett, Mandelbaum & Reiman 2002; the same
  construction as pyworkforce's ``ErlangA``).

These exact functions are what the tests compare a simulation with and what
:func:`simroi.queueing.staffing.required_agents` searches over for ``simroi queue --target-sl``.

Units: rates are per second and times are in seconds throughout; loads are in Erlangs. The service
level is always "answered within the threshold / **all** arrivals", so an abandoned contact counts
as a miss (pyworkforce's definition).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import betaincc, gammaln

__all__ = [
    "ErlangAResult",
    "ErlangCResult",
    "check_number",
    "erlang_a",
    "erlang_b",
    "erlang_c",
]

# The birth–death tail is cut once the remaining probability mass is below this fraction of the
# largest state's mass, i.e. well under double-precision resolution of the normalised total.
_TAIL_TOLERANCE: Final = 1e-16
# Guard against pathological inputs (overload with near-infinite patience) that would need a
# state space too large to hold; real contact-centre queues need a few hundred states.
_MAX_STATES: Final = 10_000_000


@dataclass(frozen=True, slots=True)
class ErlangCResult:
    """Steady-state metrics of an M/M/c queue (Erlang C).

    Attributes
    ----------
    load_erlangs : float
        Offered load A = λ·AHT.
    p_wait : float
        Probability that an arrival finds every agent busy and waits (the Erlang C formula).
    service_level : float
        Fraction of all arrivals answered within the threshold, ``1 − C·exp(−(c−A)·T/AHT)``.
    asa_seconds : float
        Mean wait of all arrivals, ``C·AHT/(c−A)``; nobody abandons, so this is also the mean wait
        of answered contacts.
    occupancy : float
        Fraction of agent time spent handling contacts, ``A/c``.
    """

    load_erlangs: float
    p_wait: float
    service_level: float
    asa_seconds: float
    occupancy: float


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady-state metrics of an M/M/c+M queue (Erlang A), computed exactly.

    Attributes
    ----------
    load_erlangs : float
        Offered load A = λ·AHT.
    p_wait : float
        Probability that an arrival finds every agent busy (PASTA: the stationary probability of
        ``N ≥ c``).
    abandonment : float
        Fraction of arrivals that abandon, ``θ·E[Lq]/λ``.
    asa_seconds : float
        Mean time in queue over **all** arrivals, abandoners included (their time until they hang
        up), ``E[Lq]/λ`` by Little's law.
    mean_wait_answered_seconds : float
        Mean wait of answered contacts only (immediately answered ones count as zero).
    service_level : float
        Fraction of **all** arrivals answered within the threshold: P(answered and wait ≤ T).
    occupancy : float
        Fraction of agent time spent handling contacts, ``λ·(1 − abandonment)·AHT/c`` (summed as
        ``E[min(N, c)]/c``, which is equal and stays accurate when nearly everyone abandons).
    mean_queue_length : float
        Time-average number of customers waiting, ``E[Lq]``.
    """

    load_erlangs: float
    p_wait: float
    abandonment: float
    asa_seconds: float
    mean_wait_answered_seconds: float
    service_level: float
    occupancy: float
    mean_queue_length: float


# --------------------------------------------------------------------------------------------------
# Validation: every message names the argument, the rule and the value.

_Sign = Literal["any", "nonnegative", "positive"]


def check_number(name: str, value: float, *, sign: _Sign = "any", allow_inf: bool = False) -> float:
    """Return ``value`` as a float, or raise if it is not a real number obeying ``sign``.

    ``sign`` is ``"any"``, ``"nonnegative"`` (≥ 0) or ``"positive"`` (> 0).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a real number (got {value!r})")
    number = float(value)
    if math.isnan(number) or (math.isinf(number) and not allow_inf):
        raise ValueError(f"{name} must be finite (got {value!r})")
    if sign == "positive" and not number > 0:
        raise ValueError(f"{name} must be > 0 (got {value!r})")
    if sign == "nonnegative" and number < 0:
        raise ValueError(f"{name} must be ≥ 0 (got {value!r})")
    return number


def _check_agents(agents: int, *, minimum: int = 0) -> int:
    if isinstance(agents, bool):
        raise ValueError(f"agents must be an integer (got {agents!r})")
    try:
        count = operator.index(agents)
    except TypeError:
        raise ValueError(f"agents must be an integer (got {agents!r})") from None
    if count < minimum:
        raise ValueError(f"agents must be ≥ {minimum} (got {count})")
    return count


# --------------------------------------------------------------------------------------------------
# Erlang B and C


def erlang_b(agents: int, load_erlangs: float) -> float:
    """Blocking probability of an M/M/c/c loss system (Erlang B).

    Uses the recursion ``B(0) = 1``, ``B(k) = A·B(k−1) / (k + A·B(k−1))``, which stays in [0, 1]
    and never overflows, unlike the textbook ratio of ``A^c/c!`` to a partial exponential sum.

    Parameters
    ----------
    agents : int
        Number of servers ``c ≥ 0``.
    load_erlangs : float
        Offered load ``A = λ·AHT ≥ 0``, in Erlangs.

    Returns
    -------
    float
        Probability that an arrival finds all ``c`` servers busy, in [0, 1].

    Examples
    --------
    >>> erlang_b(1, 1.0), erlang_b(2, 1.0)
    (0.5, 0.2)
    """
    c = _check_agents(agents)
    load = check_number("load_erlangs", load_erlangs, sign="nonnegative")
    blocking = 1.0
    for k in range(1, c + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(
    arrivals_per_second: float,
    mean_handle_seconds: float,
    agents: int,
    sl_threshold_seconds: float,
) -> ErlangCResult | None:
    """Steady-state metrics of an M/M/c queue with infinitely patient customers (Erlang C).

    Parameters
    ----------
    arrivals_per_second : float
        Poisson arrival rate λ ≥ 0, per second.
    mean_handle_seconds : float
        Mean (exponential) handle time AHT > 0, in seconds.
    agents : int
        Number of agents ``c ≥ 0``.
    sl_threshold_seconds : float
        Answer-time threshold T ≥ 0 of the service level, in seconds (``math.inf`` allowed).

    Returns
    -------
    ErlangCResult or None
        The metrics, or ``None`` when ``c ≤ A``: the queue then grows without bound and has no
        steady state.

    Examples
    --------
    >>> result = erlang_c(100 / 1800, 180.0, 14, 20.0)  # 100 calls per 30 min, AHT 3 min
    >>> round(result.p_wait, 3), round(result.service_level, 3), round(result.occupancy, 3)
    (0.174, 0.888, 0.714)
    """
    arrival_rate = check_number("arrivals_per_second", arrivals_per_second, sign="nonnegative")
    handle = check_number("mean_handle_seconds", mean_handle_seconds, sign="positive")
    c = _check_agents(agents)
    threshold = check_number(
        "sl_threshold_seconds", sl_threshold_seconds, sign="nonnegative", allow_inf=True
    )
    load = arrival_rate * handle
    if c <= load:
        return None
    blocking = erlang_b(c, load)
    p_wait = c * blocking / (c - load * (1.0 - blocking))
    # The wait of a delayed arrival is exponential with rate (c − A)/AHT.
    return ErlangCResult(
        load_erlangs=load,
        p_wait=p_wait,
        service_level=1.0 - p_wait * math.exp(-(c - load) * threshold / handle),
        asa_seconds=p_wait * handle / (c - load),
        occupancy=load / c,
    )


# --------------------------------------------------------------------------------------------------
# Erlang A


@dataclass(frozen=True, slots=True)
class _ErlangAChain:
    """The stationary distribution of M/M/c+M, plus the rates a tagged arrival sees.

    ``probabilities[n]`` is P(N = n) for n = 0 … N, where N is where the tail was truncated.
    """

    arrival_rate: float
    service_rate: float
    abandon_rate: float
    agents: int
    probabilities: NDArray[np.float64]

    @classmethod
    def solve(
        cls, arrival_rate: float, service_rate: float, abandon_rate: float, agents: int
    ) -> _ErlangAChain:
        """Solve the birth–death balance equations in log space.

        Birth rate λ in every state; death rate ``min(n, c)·μ + (n − c)⁺·θ``. Working with
        ``log p_n`` keeps c = 1000 agents or a heavily overloaded queue free of overflow.
        """
        c = agents
        if arrival_rate == 0.0:
            return cls(arrival_rate, service_rate, abandon_rate, c, np.ones(1))
        # n ≤ c: p_n ∝ A^n / n!  (a truncated Poisson shape).
        n = np.arange(c + 1)
        log_head = n * math.log(arrival_rate / service_rate) - gammaln(n + 1)
        # n = c + k: each step multiplies by λ / (cμ + kθ). Terms rise until cμ + kθ ≥ λ, then
        # fall faster than geometrically; grow the tail until what remains is negligible.
        mode = max(0.0, (arrival_rate - c * service_rate) / abandon_rate)
        size = int(2 * mode) + 64
        while True:
            if c + size > _MAX_STATES:
                raise ValueError(
                    "mean_patience_seconds is too long for this overload: the Erlang A queue "
                    f"would need more than {_MAX_STATES} states (λ = {arrival_rate} /s, "
                    f"c = {c}, θ = {abandon_rate} /s)"
                )
            k = np.arange(1, size + 1)
            log_tail = log_head[-1] + np.cumsum(
                math.log(arrival_rate) - np.log(c * service_rate + k * abandon_rate)
            )
            log_peak = max(float(log_head.max()), float(log_tail.max()))
            # Everything after term k is at most term_k · ρ/(1 − ρ) with ρ = λ/(cμ + (k+1)θ) < 1,
            # so term_k / (1 − ρ) bounds term k together with the rest of the tail.
            gap = 1.0 - arrival_rate / (c * service_rate + (k + 1) * abandon_rate)
            bound = log_tail - np.log(np.where(gap > 0.0, gap, 1.0))
            done = (gap > 0.0) & (bound < log_peak + math.log(_TAIL_TOLERANCE))
            if done.any():
                last = int(np.argmax(done))
                log_p = np.concatenate([log_head, log_tail[: last + 1]])
                break
            size *= 2
        weights = np.exp(log_p - log_peak)
        return cls(arrival_rate, service_rate, abandon_rate, c, weights / weights.sum())

    @property
    def delayed(self) -> NDArray[np.float64]:
        """P(an arrival finds j customers waiting ahead of it), j = 0 … N − c (PASTA)."""
        return self.probabilities[self.agents :]

    @property
    def leave_queue_rates(self) -> NDArray[np.float64]:
        """Rate ``cμ + (i+1)·θ`` at which a tagged waiter with ``i`` ahead moves or abandons."""
        i = np.arange(self.delayed.size, dtype=np.float64)
        return self.agents * self.service_rate + (i + 1.0) * self.abandon_rate

    def answered_within(self, threshold_seconds: float) -> float:
        """P(an arrival is answered and waited ≤ ``threshold_seconds``), over all arrivals.

        A tagged arrival with ``j`` customers ahead (the absorbing CTMC pyworkforce uniformises)
        moves up at rate ``cμ + iθ`` while ``i`` are ahead (a service ends or one of them
        abandons) and abandons itself at rate θ. Its path to service is fixed — ``j, j−1, …, 0``
        — so, given that it is served, its wait is a sum of independent exponentials with the
        total exit rates ``cμ + (i+1)θ``, i = 0 … j, and

        * P(served | j) = ∏ (cμ + iθ)/(cμ + (i+1)θ) = cμ / (cμ + (j+1)θ) (the product telescopes);
        * that hypoexponential sum equals ``−log(U)/θ`` with ``U ~ Beta(cμ/θ + 1, j + 1)`` (equal
          Laplace transforms, both ∏ (cμ/θ + i)/(s/θ + cμ/θ + i) over i = 1 … j+1), so
          P(wait ≤ T | served, j) = 1 − I(exp(−θT); cμ/θ + 1, j + 1), a regularised incomplete
          beta function.

        This is exact — it agrees with ``scipy.linalg.expm`` of the tagged generator to rounding
        (see the tests) — and needs no time-stepping, whatever ``T``.
        """
        answered_at_once = float(self.probabilities[: self.agents].sum())
        if self.delayed.size == 0 or threshold_seconds == 0.0:
            return answered_at_once
        served = self.agents * self.service_rate / self.leave_queue_rates
        ahead = np.arange(self.delayed.size)
        shape = self.agents * self.service_rate / self.abandon_rate + 1.0
        within = betaincc(shape, ahead + 1.0, math.exp(-self.abandon_rate * threshold_seconds))
        return answered_at_once + float(np.sum(self.delayed * served * within))

    def answered_wait_total(self) -> float:
        """E[wait · 1{answered}] over all arrivals, in seconds.

        Given ``j`` ahead and that it is served, the tagged wait is the sum of exponential
        sojourns with rates ``cμ + (i+1)θ``, i = 0 … j (an exit time of a CTMC state is independent
        of where it exits to), so E[wait | served, j] = Σ 1/(cμ + (i+1)θ), weighted by
        P(served | j) = cμ/(cμ + (j+1)θ).
        """
        if self.delayed.size == 0:
            return 0.0
        rates = self.leave_queue_rates
        served = self.agents * self.service_rate / rates
        return float(np.sum(self.delayed * served * np.cumsum(1.0 / rates)))


def _solve_erlang_a(
    arrivals_per_second: float,
    mean_handle_seconds: float,
    agents: int,
    mean_patience_seconds: float,
) -> _ErlangAChain:
    arrival_rate = check_number("arrivals_per_second", arrivals_per_second, sign="nonnegative")
    handle = check_number("mean_handle_seconds", mean_handle_seconds, sign="positive")
    c = _check_agents(agents, minimum=1)
    patience = check_number("mean_patience_seconds", mean_patience_seconds, sign="positive")
    return _ErlangAChain.solve(arrival_rate, 1.0 / handle, 1.0 / patience, c)


def erlang_a(
    arrivals_per_second: float,
    mean_handle_seconds: float,
    agents: int,
    mean_patience_seconds: float,
    sl_threshold_seconds: float,
) -> ErlangAResult:
    """Exact steady-state metrics of an M/M/c+M queue (Erlang A).

    Parameters
    ----------
    arrivals_per_second : float
        Poisson arrival rate λ ≥ 0, per second.
    mean_handle_seconds : float
        Mean (exponential) handle time AHT > 0, in seconds.
    agents : int
        Number of agents ``c ≥ 1`` (with none, every arrival abandons).
    mean_patience_seconds : float
        Mean of the exponential patience 1/θ > 0, in seconds (finite; use :func:`erlang_c` for
        infinitely patient customers).
    sl_threshold_seconds : float
        Answer-time threshold T ≥ 0 of the service level, in seconds (``math.inf`` allowed:
        the service level is then the fraction answered).

    Returns
    -------
    ErlangAResult
        The metrics; see the class for their definitions.

    Notes
    -----
    The stationary distribution ``p_n`` of the birth–death chain (birth λ, death
    ``min(n, c)·μ + (n − c)⁺·θ``) is solved in log space and truncated once the remaining tail is
    below 1e-16 of the mass. By PASTA an arrival sees ``p_n``; one that finds ``n = c + j``
    waits behind ``j`` others. The service level and the mean wait of answered contacts follow a
    tagged customer through the queue, in closed form (see ``_ErlangAChain``). They are
    consistent with the time averages: P(answered) from the tagged customer equals
    ``1 − θ·E[Lq]/λ`` through the balance equations ``λ·p_{c+j} = (cμ + (j+1)θ)·p_{c+j+1}``.

    Examples
    --------
    >>> result = erlang_a(100 / 1800, 180.0, 14, 300.0, 20.0)  # pyworkforce's fixture
    >>> round(result.p_wait, 5), round(result.abandonment, 6), round(result.service_level, 6)
    (0.14526, 0.013984, 0.916792)
    """
    chain = _solve_erlang_a(arrivals_per_second, mean_handle_seconds, agents, mean_patience_seconds)
    threshold = check_number(
        "sl_threshold_seconds", sl_threshold_seconds, sign="nonnegative", allow_inf=True
    )
    lam, mu, theta, c = chain.arrival_rate, chain.service_rate, chain.abandon_rate, chain.agents
    delayed = chain.delayed
    queue_length = float(np.sum(np.arange(delayed.size) * delayed))
    # E[min(N, c)] equals λ·(1 − P(ab))/μ by Little's law at the agents, but summing it directly
    # keeps full relative precision when nearly everyone abandons.
    busy_agents = float(np.minimum(np.arange(chain.probabilities.size), c) @ chain.probabilities)
    if lam > 0.0:
        asa = queue_length / lam
        abandonment = theta * asa
        mean_wait_answered = chain.answered_wait_total() / (busy_agents * mu / lam)
    else:
        asa = abandonment = mean_wait_answered = 0.0
    return ErlangAResult(
        load_erlangs=lam / mu,
        p_wait=float(delayed.sum()),
        abandonment=abandonment,
        asa_seconds=asa,
        mean_wait_answered_seconds=mean_wait_answered,
        service_level=chain.answered_within(threshold),
        occupancy=busy_agents / c,
        mean_queue_length=queue_length,
    )

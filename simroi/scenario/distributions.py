"""Uncertain inputs: the distributions a scenario number may be drawn from.

Any number in a scenario file is either a plain number or an uncertain input written as a TOML
inline table, ``{ dist = "pert", low = 0.6, mode = 0.72, high = 0.8, source = "SQM Group" }``.
Each distribution is a frozen pydantic model tagged by ``dist``; it knows its exact mean and
variance (closed forms, used as test oracles), its inverse CDF (``ppf``) and how to describe itself
in the assumptions table. Sampling is by inverse transform, ``ppf`` of uniforms on the open
interval (0, 1), so the same uniforms can be stratified (Latin hypercube) or rank-correlated
(Iman–Conover) without the distribution knowing.

Parameters are in the units of the input they describe (minutes, dollars, a rate ...). The TOML key
``mean`` is stored in the attribute ``mean_value``, because ``mean()`` is the exact-mean method.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Annotated, Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError
from scipy import special

from simroi.estimates import Z_ONE_SIDED_90, Z_ONE_SIDED_95
from simroi.scenario.quantiles import FloatArray, beta_ppf, open_uniforms, scipy_stats
from simroi.scenario.representable import numeric_problems

__all__ = [
    "Beta",
    "Choice",
    "DistributionBase",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Normal",
    "Number",
    "Pert",
    "Poisson",
    "Triangular",
    "Uniform",
]


def _fmt(x: float | None) -> str:
    """A number as people write it: ``5`` not ``5.0``, ``0.3`` not ``0.30000000000000004``."""
    return "none" if x is None else f"{x:.12g}"


def _finite_number(value: object) -> float:
    """Accept ints and floats that are finite; reject booleans and strings."""
    if isinstance(value, bool | np.bool_):
        rule, shown = "must be a number, not a boolean (got {value})", str(value)
    elif not isinstance(value, numbers.Real):
        rule, shown = "must be a number (got {value})", repr(value)
    elif not math.isfinite(float(value)):
        rule, shown = "must be a finite number (got {value})", str(float(value))
    else:
        return float(value)
    raise PydanticCustomError("number_type", rule, {"value": shown})


Number = Annotated[float, BeforeValidator(_finite_number)]
"""A finite int or float; booleans and strings are rejected (``true`` is not a probability)."""


def _positive(name: str, value: float) -> list[str]:
    return [] if value > 0 else [f"{name} must be > 0 (got {name}={_fmt(value)})"]


class DistributionBase(BaseModel):
    """What every distribution offers; subclasses add ``dist`` and their parameters."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )

    source: str | None = None
    """Free-text provenance shown in the assumptions table (a study, a benchmark, a guess)."""

    @model_validator(mode="after")
    def _check_parameters(self) -> Self:
        if problems := self._problems() or numeric_problems(self):
            raise PydanticCustomError(
                "distribution_parameters", "{rule}", {"rule": "; ".join(problems)}
            )
        return self

    def _problems(self) -> list[str]:
        """One line per broken rule, naming the rule and the values."""
        return []

    def _scipy(self) -> Any:
        """The equivalent frozen :mod:`scipy.stats` distribution."""
        raise NotImplementedError

    def _closed_form(self) -> tuple[Callable[[FloatArray], FloatArray], float, float] | None:
        """The inverse CDF as ``core(q) × scale + loc``, the formula and order of operations
        :mod:`scipy.stats` uses, from :mod:`scipy.special` alone; None where scipy.stats is
        needed (truncated normal, Poisson)."""
        return None

    @property
    def is_fixed(self) -> bool:
        """Whether the input is a known constant (a :class:`Fixed`)."""
        return isinstance(self, Fixed)

    def mean(self) -> float:
        """Exact mean (closed form), in the input's units."""
        raise NotImplementedError

    def var(self) -> float:
        """Exact variance (closed form), in the input's units squared."""
        raise NotImplementedError

    def ppf(self, q: npt.ArrayLike) -> FloatArray:
        """Inverse CDF at probabilities ``q`` in [0, 1], vectorized; same shape as ``q``.

        The same numbers as :mod:`scipy.stats` (a test holds them bit for bit): the support's
        ends at 0 and 1, NaN outside [0, 1].
        """
        q = np.asarray(q, dtype=np.float64)
        form = self._closed_form()
        if form is None:
            return np.asarray(self._scipy().ppf(q), dtype=np.float64)
        core, scale, loc = form
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            x = np.asarray(core(q) * scale + loc, dtype=np.float64)
        return np.where((q >= 0) & (q <= 1), x, np.nan)

    def sample(self, size: int | tuple[int, ...], *, rng: np.random.Generator) -> FloatArray:
        """Independent draws by inverse transform: ``ppf`` of open uniforms from ``rng``."""
        return self.ppf(open_uniforms(size, rng=rng))

    def describe(self) -> str:
        """A short human description for the assumptions table, e.g. ``gamma(mean=4, cv=0.5)``."""
        shown = []
        for attr, field in type(self).model_fields.items():
            value = getattr(self, attr)
            if attr not in ("dist", "source") and value is not None:
                text = (
                    f"[{', '.join(map(_fmt, value))}]" if isinstance(value, tuple) else _fmt(value)
                )
                shown.append(f"{field.alias or attr}={text}")
        return f"{type(self).model_fields['dist'].default}({', '.join(shown)})"


class Fixed(DistributionBase):
    """A known ``value``: no uncertainty. Plain numbers in a scenario become ``Fixed``."""

    dist: Literal["fixed"] = "fixed"
    value: Number

    def mean(self) -> float:
        return self.value

    def var(self) -> float:
        return 0.0

    def ppf(self, q: npt.ArrayLike) -> FloatArray:
        return np.full(np.shape(q), self.value, dtype=np.float64)

    def sample(self, size: int | tuple[int, ...], *, rng: np.random.Generator) -> FloatArray:
        """The constant ``value``; draws nothing from ``rng``."""
        return np.full(size, self.value, dtype=np.float64)

    def describe(self) -> str:
        return _fmt(self.value)


class Uniform(DistributionBase):
    """Every value in [low, high] equally likely."""

    dist: Literal["uniform"] = "uniform"
    low: Number
    high: Number

    def _problems(self) -> list[str]:
        got = f"(got low={_fmt(self.low)}, high={_fmt(self.high)})"
        return [] if self.low < self.high else [f"low must be < high {got}"]

    def _scipy(self) -> Any:
        return scipy_stats().uniform(loc=self.low, scale=self.high - self.low)

    def _closed_form(self) -> tuple[Callable[[FloatArray], FloatArray], float, float]:
        return (lambda q: q), self.high - self.low, self.low

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def var(self) -> float:
        return (self.high - self.low) ** 2 / 12


class _LowModeHigh(DistributionBase):
    """Parameters shared by the three-point estimates: ``low ≤ mode ≤ high`` with ``low < high``."""

    low: Number
    mode: Number
    high: Number

    def _problems(self) -> list[str]:
        got = f"(got low={_fmt(self.low)}, mode={_fmt(self.mode)}, high={_fmt(self.high)})"
        if not self.low < self.high:
            return [f"low must be < high {got}"]
        return [] if self.low <= self.mode <= self.high else [f"mode must be in [low, high] {got}"]


class Triangular(_LowModeHigh):
    """Triangular on [low, high] with its peak at ``mode``."""

    dist: Literal["triangular"] = "triangular"

    def _scipy(self) -> Any:
        width = self.high - self.low
        return scipy_stats().triang(self._c(), loc=self.low, scale=width)

    def _c(self) -> float:
        """scipy's shape: where the mode lies in [low, high], as a fraction."""
        return (self.mode - self.low) / (self.high - self.low)

    def _closed_form(self) -> tuple[Callable[[FloatArray], FloatArray], float, float]:
        c = self._c()

        def core(q: FloatArray) -> FloatArray:
            return np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))

        return core, self.high - self.low, self.low

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def var(self) -> float:
        # (b−a)²(1 − c + c²)/18 in the mode's fraction c: the textbook a² + b² + c² − ab − ac − bc
        # loses digits for a narrow range far from zero.
        c = self._c()
        return (self.high - self.low) ** 2 * (1 - c + c * c) / 18


class Pert(_LowModeHigh):
    """Beta-PERT on [low, high] with most likely value ``mode`` and shape ``lamb`` (default 4).

    A beta distribution with ``alpha = 1 + lamb·(mode − low)/(high − low)`` and
    ``beta = 1 + lamb·(high − mode)/(high − low)``, so its mean is
    ``(low + lamb·mode + high)/(lamb + 2)``. A larger ``lamb`` puts more mass near the mode.
    """

    dist: Literal["pert"] = "pert"
    lamb: Number = 4.0

    def _problems(self) -> list[str]:
        return super()._problems() + _positive("lamb", self.lamb)

    def _shape(self) -> tuple[float, float]:
        width = self.high - self.low
        alpha = 1 + self.lamb * (self.mode - self.low) / width
        return alpha, 2 + self.lamb - alpha

    def _scipy(self) -> Any:
        return scipy_stats().beta(*self._shape(), loc=self.low, scale=self.high - self.low)

    def _closed_form(self) -> tuple[Callable[[FloatArray], FloatArray], float, float]:
        alpha, beta = self._shape()
        return (lambda q: beta_ppf(alpha, beta, q)), self.high - self.low, self.low

    def mean(self) -> float:
        return (self.low + self.lamb * self.mode + self.high) / (self.lamb + 2)

    def var(self) -> float:
        (alpha, beta), total = self._shape(), self.lamb + 2  # total = alpha + beta
        return alpha * beta * (self.high - self.low) ** 2 / (total * total * (total + 1))

    def describe(self) -> str:
        shape = "" if self.lamb == 4.0 else f", λ={_fmt(self.lamb)}"
        return f"PERT({_fmt(self.low)}, {_fmt(self.mode)}, {_fmt(self.high)}{shape})"


class Normal(DistributionBase):
    """Normal with ``mean`` and ``sd``, optionally truncated to [low, high] (truncated normal).

    With truncation, ``mean`` and ``sd`` are those of the parent normal; :meth:`mean` and
    :meth:`var` are those of the truncated distribution.
    """

    dist: Literal["normal"] = "normal"
    mean_value: Number = Field(alias="mean")
    sd: Number
    low: Number | None = None
    high: Number | None = None

    def _bounds(self) -> tuple[float, float, float]:
        """Standardized bounds ``a, b`` and the probability Φ(b) − Φ(a) kept between them."""
        a = -math.inf if self.low is None else (self.low - self.mean_value) / self.sd
        b = math.inf if self.high is None else (self.high - self.mean_value) / self.sd
        # In the upper tail, 1 − Φ is accurate where Φ(b) − Φ(a) would cancel to zero.
        kept = special.ndtr(-a) - special.ndtr(-b) if a > 0 else special.ndtr(b) - special.ndtr(a)
        return a, b, float(kept)

    def _problems(self) -> list[str]:
        problems = _positive("sd", self.sd)
        low, high = self.low, self.high
        if low is not None and high is not None and not low < high:
            problems.append(f"low must be < high (got low={_fmt(low)}, high={_fmt(high)})")
        if not problems and self._bounds()[2] <= 0:
            problems.append(
                f"[low, high] must hold some probability of normal(mean={_fmt(self.mean_value)}, "
                f"sd={_fmt(self.sd)}) (got low={_fmt(low)}, high={_fmt(high)})"
            )
        return problems

    def _scipy(self) -> Any:
        a, b, _ = self._bounds()
        if math.isinf(a) and math.isinf(b):
            return scipy_stats().norm(loc=self.mean_value, scale=self.sd)
        return scipy_stats().truncnorm(a, b, loc=self.mean_value, scale=self.sd)

    def _closed_form(self) -> tuple[Callable[[FloatArray], FloatArray], float, float] | None:
        if self.low is None and self.high is None:
            return special.ndtri, self.sd, self.mean_value
        return None  # scipy's truncated normal stays accurate deep in the tails

    def _standard_moments(self) -> tuple[float, float]:
        """Mean and variance of the standard normal truncated to [a, b] (closed form)."""
        a, b, kept = self._bounds()
        # φ(z) and z·φ(z) at each bound; both vanish at an infinite (absent) bound.
        pa, pb = (
            0.0 if math.isinf(z) else math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (a, b)
        )
        za, zb = (0.0 if math.isinf(z) else z * p for z, p in ((a, pa), (b, pb)))
        shift = (pa - pb) / kept
        return shift, 1 + (za - zb) / kept - shift * shift

    def mean(self) -> float:
        return self.mean_value + self.sd * self._standard_moments()[0]

    def var(self) -> float:
        return self.sd**2 * self._standard_moments()[1]


_LOGNORMAL_FORMS = {  # each parametrization and how the assumptions table shows it
    ("median", "p90"): "lognormal median {median}, p90 {p90}",
    ("p5", "p95"): "lognormal 90% in [{p5}, {p95}]",
    ("mean", "cv"): "lognormal mean {mean}, cv {cv}",
    ("mu", "sigma"): "lognormal(mu={mu}, sigma={sigma})",
}


class LogNormal(DistributionBase):
    """Lognormal on (0, ∞), given by exactly one pair of parameters.

    ``(median, p90)``; ``(p5, p95)``, a 90% interval, the way people estimate; ``(mean, cv)``, the
    mean and coefficient of variation; or ``(mu, sigma)``, the mean and sd of the logarithm.
    """

    dist: Literal["lognormal"] = "lognormal"
    median: Number | None = None
    p90: Number | None = None
    p5: Number | None = None
    p95: Number | None = None
    mean_value: Number | None = Field(default=None, alias="mean")
    cv: Number | None = None
    mu: Number | None = None
    sigma: Number | None = None

    def _given(self) -> dict[str, float]:
        """The parameters given, by their TOML names."""
        keys = ("median", "p90", "p5", "p95", "mean", "cv", "mu", "sigma")
        values = {k: getattr(self, "mean_value" if k == "mean" else k) for k in keys}
        return {k: v for k, v in values.items() if v is not None}

    def _form(self) -> tuple[str, str] | None:
        """The one parametrization given, or None when none or several are."""
        given = set(self._given())
        return next((form for form in _LOGNORMAL_FORMS if set(form) == given), None)

    def _problems(self) -> list[str]:
        form, v = self._form(), self._given()
        if form is None:
            options = ", ".join(f"({a}, {b})" for a, b in _LOGNORMAL_FORMS)
            return [f"lognormal needs exactly one of {options} (got {', '.join(v) or 'none'})"]
        if form == ("mu", "sigma"):
            return _positive("sigma", v["sigma"])
        if form == ("mean", "cv"):
            return _positive("mean", v["mean"]) + _positive("cv", v["cv"])
        low, high = form
        problems = _positive(low, v[low])
        if not v[low] < v[high]:
            got = f"(got {low}={_fmt(v[low])}, {high}={_fmt(v[high])})"
            problems.append(f"{low} must be < {high} {got}")
        return problems

    def log_params(self) -> tuple[float, float]:
        """``(mu, sigma)``: mean and sd of the logarithm, whichever pair was given."""
        v = self._given()
        match self._form():
            case ("median", "p90"):
                return math.log(v["median"]), math.log(v["p90"] / v["median"]) / Z_ONE_SIDED_90
            case ("p5", "p95"):
                mu = (math.log(v["p5"]) + math.log(v["p95"])) / 2
                return mu, math.log(v["p95"] / v["p5"]) / (2 * Z_ONE_SIDED_95)
            case ("mean", "cv"):
                s2 = math.log1p(v["cv"] ** 2)
                return math.log(v["mean"]) - s2 / 2, math.sqrt(s2)
            case _:
                return v["mu"], v["sigma"]

    def mean(self) -> float:
        mu, sigma = self.log_params()
        return math.exp(mu + sigma**2 / 2)

    def var(self) -> float:
        mu, sigma = self.log_params()
        return math.expm1(sigma**2) * math.exp(2 * mu + sigma**2)

    def ppf(self, q: npt.ArrayLike) -> FloatArray:
        mu, sigma = self.log_params()
        z = special.ndtri(np.asarray(q, dtype=np.float64))
        return np.asarray(np.exp(mu + sigma * z), dtype=np.float64)

    def describe(self) -> str:
        form = self._form()
        assert form is not None  # validated
        return _LOGNORMAL_FORMS[form].format(**{k: _fmt(x) for k, x in self._given().items()})


class _GivenMean(DistributionBase):
    """Distributions stated by their ``mean`` (TOML key), which is then exact by construction."""

    mean_value: Number = Field(alias="mean")

    def _problems(self) -> list[str]:
        return _positive("mean", self.mean_value)

    def mean(self) -> float:
        return self.mean_value


class Beta(_GivenMean):
    """Beta on (0, 1) for rates and probabilities, given by its ``mean`` and ``sd``."""

    dist: Literal["beta"] = "beta"
    sd: Number

    def _problems(self) -> list[str]:
        m, sd = self.mean_value, self.sd
        if not 0 < m < 1:
            return [f"mean must be in (0, 1) (got mean={_fmt(m)})"]
        if not sd > 0:
            return _positive("sd", sd)
        if sd * sd >= m * (1 - m):
            return [
                f"a beta distribution with mean {_fmt(m)} needs sd² < mean·(1 − mean) = "
                f"{_fmt(m * (1 - m))}, i.e. sd < {_fmt(math.sqrt(m * (1 - m)))} "
                f"(got sd={_fmt(sd)}, sd²={_fmt(sd * sd)})"
            ]
        return []

    def _shape(self) -> tuple[float, float]:
        """alpha, beta from the mean and sd (method of moments)."""
        m = self.mean_value
        total = m * (1 - m) / self.sd**2 - 1  # alpha + beta
        return m * total, (1 - m) * total

    def _scipy(self) -> Any:
        return scipy_stats().beta(*self._shape())

    def _closed_form(self) -> tuple[Callable[[FloatArray], FloatArray], float, float]:
        alpha, beta = self._shape()
        return (lambda q: beta_ppf(alpha, beta, q)), 1.0, 0.0

    def var(self) -> float:
        return self.sd**2


class Gamma(_GivenMean):
    """Gamma on (0, ∞), given by its ``mean`` and either ``sd`` or ``cv`` (= sd / mean)."""

    dist: Literal["gamma"] = "gamma"
    sd: Number | None = None
    cv: Number | None = None

    def _problems(self) -> list[str]:
        if (self.sd is None) == (self.cv is None):
            got = "both" if self.sd is not None else "neither"
            return [f"gamma needs mean and exactly one of sd, cv (got {got})"]
        spread = ("sd", self.sd) if self.sd is not None else ("cv", self.cv or 0.0)
        return super()._problems() + _positive(*spread)

    def _sd(self) -> float:
        return self.sd if self.sd is not None else (self.cv or 0.0) * self.mean_value

    def _shape(self) -> float:
        """scipy's shape parameter, (mean / sd)²; the scale is mean / shape."""
        return (self.mean_value / self._sd()) ** 2

    def _scipy(self) -> Any:
        shape = self._shape()
        return scipy_stats().gamma(shape, scale=self.mean_value / shape)

    def _closed_form(self) -> tuple[Callable[[FloatArray], FloatArray], float, float]:
        shape = self._shape()
        return (lambda q: special.gammaincinv(shape, q)), self.mean_value / shape, 0.0

    def var(self) -> float:
        return self._sd() ** 2


class Exponential(_GivenMean):
    """Exponential on [0, ∞) with the given ``mean``."""

    dist: Literal["exponential"] = "exponential"

    def _scipy(self) -> Any:
        return scipy_stats().expon(scale=self.mean_value)

    def _closed_form(self) -> tuple[Callable[[FloatArray], FloatArray], float, float]:
        return (lambda q: -special.log1p(-q)), self.mean_value, 0.0

    def var(self) -> float:
        return self.mean_value**2


class Poisson(_GivenMean):
    """Poisson counts 0, 1, 2, … with the given ``mean``."""

    dist: Literal["poisson"] = "poisson"

    def _scipy(self) -> Any:
        return scipy_stats().poisson(self.mean_value)

    def var(self) -> float:
        return self.mean_value

    def ppf(self, q: npt.ArrayLike) -> FloatArray:
        return np.maximum(super().ppf(q), 0.0)  # scipy gives -1 at q = 0; the least count is 0


class Choice(DistributionBase):
    """One of ``values``, with probabilities ``weights`` (equal when omitted; must sum to 1)."""

    dist: Literal["choice"] = "choice"
    values: tuple[Number, ...]
    weights: tuple[Number, ...] | None = None

    def _problems(self) -> list[str]:
        w, n = self.weights, len(self.values)
        if n == 0:
            return ["values must not be empty"]
        if w is None:
            return []
        if len(w) != n:
            return [f"weights must have one entry per value (got {n} values, {len(w)} weights)"]
        if min(w) < 0:
            return [f"weights must be ≥ 0 (got weights={', '.join(map(_fmt, w))})"]
        if abs(math.fsum(w) - 1) > 1e-9:
            return [f"weights must sum to 1 within 1e-9 (got sum={_fmt(math.fsum(w))})"]
        return []

    def _table(self) -> tuple[FloatArray, FloatArray]:
        """The values with positive probability, sorted, and their probabilities."""
        values = np.asarray(self.values, dtype=np.float64)
        p = np.ones(len(values)) if self.weights is None else np.asarray(self.weights)
        order = np.argsort(values, kind="stable")
        keep = p[order] > 0
        return values[order][keep], p[order][keep] / p.sum()

    def mean(self) -> float:
        v, p = self._table()
        return float(np.dot(p, v))

    def var(self) -> float:
        v, p = self._table()
        return float(np.dot(p, (v - np.dot(p, v)) ** 2))

    def ppf(self, q: npt.ArrayLike) -> FloatArray:
        # The least value whose cumulative probability reaches q.
        v, p = self._table()
        index = np.searchsorted(np.cumsum(p), np.asarray(q, dtype=np.float64), side="left")
        return v[np.minimum(index, len(v) - 1)]


"""Any uncertain input, chosen by its ``dist`` key."""

"""The valid values of ``dist``, in the order the documentation lists them."""


"""A pydantic field type: a plain number (parsed as float) or an uncertain input (Distribution).

``true`` is rejected; an unknown or missing ``dist`` gives an error listing the valid names.
"""

"""A scenario number: a plain number or an uncertain input, as one pydantic field type.

Any number in a scenario file is either a plain number or an inline table with ``dist``; the
tagged union :data:`Quantity` parses both and names one cause when neither fits.
"""

from __future__ import annotations

import functools
import operator
from typing import TYPE_CHECKING, Annotated, Any, get_args

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
)

from simroi.scenario.distributions import (
    Beta,
    Choice,
    DistributionBase,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Number,
    Pert,
    Poisson,
    Triangular,
    Uniform,
)

__all__ = [
    "DIST_NAMES",
    "Distribution",
    "Quantity",
    "as_distribution",
]

_Drawn = Uniform | Triangular | Pert | Normal | LogNormal | Beta | Gamma | Exponential | Poisson


Distribution = Annotated[Fixed | _Drawn | Choice, Field(discriminator="dist")]


_CLASSES: tuple[type[DistributionBase], ...] = get_args(get_args(Distribution)[0])


DIST_NAMES: tuple[str, ...] = tuple(cls.model_fields["dist"].default for cls in _CLASSES)


def _quantity_tag(value: Any) -> str | None:
    """``"number"`` for anything not table-like, else the ``dist`` name (None if unknown)."""
    if isinstance(value, dict | BaseModel):
        dist = value.get("dist") if isinstance(value, dict) else getattr(value, "dist", None)
        return dist if dist in DIST_NAMES else None
    return "number"


if TYPE_CHECKING:
    Quantity = float | Distribution
else:
    # A flat tagged union, so an error names one cause: a bad number, an unknown ``dist`` or one
    # distribution's broken rule (not every alternative's complaint). Its location ends in the tag.
    Quantity = Annotated[
        functools.reduce(
            operator.or_,
            [Annotated[Number, Tag("number")]]
            + [Annotated[c, Tag(n)] for c, n in zip(_CLASSES, DIST_NAMES, strict=True)],
        ),
        Discriminator(
            _quantity_tag,
            custom_error_type="unknown_distribution",
            custom_error_message="must be a number or an inline table with dist = one of: "
            + ", ".join(DIST_NAMES),
        ),
    ]


def as_distribution(x: float | Distribution) -> Distribution:
    """``x`` itself if it is a distribution; a plain number becomes :class:`Fixed`."""
    if isinstance(x, DistributionBase):
        return x
    return Fixed(value=x)

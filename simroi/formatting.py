"""The one place numbers become text: money, percentages, counts, their labels, and JSON.

Every table, chart, slide, terminal line and notebook view formats through these functions, so a
value prints alike wherever it is shown; every ``to_dict()`` and JSON file passes through
:func:`json_ready`, so JSON never holds a NaN. A leaf module (it imports nothing of simroi), so
that every stage, down to the queue study and the result objects a notebook displays, can use it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from numbers import Real
from typing import Any

import numpy as np

__all__ = [
    "DURATION_SECONDS",
    "EXTRA_KPI_LABELS",
    "KPI_LABELS",
    "LINE_LABELS",
    "MONEY_UNITS",
    "PCT_DIGITS",
    "SOCIAL_LABELS",
    "amount",
    "cell",
    "chance",
    "duration_unit",
    "fmt",
    "html_table",
    "input_span",
    "interval_cells",
    "interval_text",
    "json_ready",
    "kpi_label",
    "magnitude",
    "money",
    "money_number_format",
    "num_decimals",
    "number_format",
    "number_or_nan",
    "pct",
    "short_key",
    "short_repr",
    "signed",
    "significant",
    "stated_pct",
    "text_table",
    "tornado_cells",
    "tornado_scale",
]

KPI_LABELS = {
    "service_level": ("Service level", "pct"),
    "abandonment": ("Abandoned / ignored", "pct"),
    "asa_seconds": ("Mean wait of answered", "seconds"),
    "response_p90_hours": ("P90 response time", "hours"),
    "occupancy": ("Occupancy", "pct"),
    "fcr": ("First-contact resolution", "pct"),
    "cost_per_contact": ("Agent cost per answered contact", "money"),
    "offered_per_month": ("Contacts offered / month", "num"),
    "repeats_per_month": ("of which repeat contacts / month", "num"),
    "backlog_at_month_end": ("Backlog at month end (mean)", "num"),
    "paid_hours_per_month": ("Agent hours paid / month", "num"),
    "busy_hours_per_month": ("Agent hours busy / month", "num"),
}
LINE_LABELS = {
    "retained_margin": "Retained margin (churn avoided)",
    "word_of_mouth": "Word-of-mouth customers (net of acquisition cost)",
    "spend_uplift": "Spend uplift",
    "deflection_savings": "Deflection savings (contacts avoided)",
    "repeat_contact_savings": "Repeat-contact savings (net change)",
    "staffing_savings": "Staffing savings (agents the forecast no longer needs)",
    "terminal_value": "Terminal value (CLV at horizon)",
    "agents": "Agent cost",
    "contact_handling": "Contact handling (gross of deflection)",
    "tools": "Tools and licences",
    "setup": "Setup (t0)",
    "training": "Training (t0)",
}
SOCIAL_LABELS = {
    "public_posts": ("Public posts / month", "num"),
    "impressions": ("Impressions / month", "num"),
    "sentiment": ("Net sentiment of impressions", "pct"),
    "customers_at_horizon": ("Customers at the horizon", "num"),
}


EXTRA_KPI_LABELS = {"answered_per_month": ("Contacts answered / month", "num")}


def magnitude(values: Iterable[Any]) -> float:
    """The magnitude of numbers shown together, which sets their one unit and their decimals:
    the largest in absolute value of those defined (NaN, None and infinities left out), 0 when
    none is."""
    finite = (float(v) for v in values if isinstance(v, Real) and math.isfinite(v))
    return max((abs(v) for v in finite), default=0.0)


def short_key(key: str) -> str:
    """A swept setting's last two parts, as tables name it (``channels.social.agents`` →
    ``social.agents``)."""
    return ".".join(key.split(".")[-2:])


def kpi_label(metric: str) -> tuple[str, str]:
    """A KPI's label and display unit as every table shows it, from its metric
    (``social.service_level`` → ``social: Service level``, ``sentiment`` → ``Net sentiment of
    impressions``)."""
    if metric in SOCIAL_LABELS:
        return SOCIAL_LABELS[metric]
    channel, _, kpi = metric.partition(".")
    if kpi in KPI_LABELS or kpi in EXTRA_KPI_LABELS:
        label, unit = KPI_LABELS.get(kpi) or EXTRA_KPI_LABELS[kpi]
        return f"{channel}: {label}", unit
    return metric.replace(".", ": ", 1), "num"


def amount(value: float) -> str:
    """A count of contacts, trials …: ``12,000``, ``2.3e8``; ``infinitely many``."""
    if not math.isfinite(value):
        return "infinitely many"
    if value < 1e6:
        return f"{value:,.0f}"
    return f"{value:.2g}".replace("e+0", "e").replace("e+", "e")


def pct(x: Any, digits: int = 0) -> str:
    """A share as a percentage with a true minus sign, or an em dash when undefined.

    A value that is not zero but rounds to zero at ``digits`` decimals keeps its first
    significant digit, up to four decimals (an ROI of −0.07 % is a loss, not "0%"); below that
    it shows as 0 (never "−0%"). One that rounds to 100 % without being it keeps the digits
    that tell it apart (99.9 %)."""
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    points, digits = _points(x, digits)
    return f"{points:.{digits}f}%".replace("-", "−")


def _points(x: float, digits: int) -> tuple[float, int]:
    """A share in percentage points and the decimals to show it with: ``digits``, or as many
    more (up to four) as tell a value that would round to 0 or ±100 % from it (99.9 % of posts
    ignored is not all of them); a value still zero at four decimals is 0.0 (no minus sign)."""
    points = x * 100
    for edge in (0.0, 100.0, -100.0):
        # Near ±100 % only from inside: an ROI of 100.4 % is not "short of" anything.
        if round(points, digits) == edge and points != edge and abs(points) < max(abs(edge), 1):
            digits = next((d for d in range(digits + 1, 5) if round(points, d) != edge), digits)
            break
    if round(points, digits) == 0:
        points = 0.0
    return points, digits


#: The payback row's label wherever a table shows it: its interval is over the trials that pay
#: back within the horizon (the chance of paying back is shown beside it).
PAYBACK_LABEL = "Payback month (trials that pay back)"


def counted(n: int, noun: str) -> str:
    """``n`` with its noun, plural unless one: ``1 trial``, ``1,000 trials``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def short_repr(value: Any, width: int = 80) -> str:
    """``repr(value)`` cut to ``width`` characters with "...": a value quoted in a message."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def chance(p: Any, digits: int = 0) -> str:
    """A probability as :func:`pct` shows it, except that one strictly between 0 and 1 never
    rounds to 0 % or 100 %: ``<1%`` and ``>99%`` (``<0.1%``, ``>99.9%`` with one decimal). One
    trial in 200 is a possibility; "0 %" on a slide says it is none."""
    if isinstance(p, int | float) and 0 < p < 1:
        shown = round(p * 100, digits)
        step = 10.0**-digits
        if shown == 0:
            return f"<{step:.{digits}f}%"
        if shown == 100:
            return f">{100 - step:.{digits}f}%"
    return pct(p, digits)


#: The units of an amount of money, largest first: ``(from, divisor, suffix, decimals)``. An amount
#: (or the largest of amounts shown together) from ``from`` up is shown divided by ``divisor``
#: with ``decimals`` decimals and the suffix: ``$1.23M``, ``$250k``, ``$8.1k``, ``$950``,
#: ``$6.40``. :func:`money` and the number formats of the deck's native charts
#: (:func:`money_number_format`) read this one table.
MONEY_UNITS: tuple[tuple[float, float, str, int], ...] = (
    (1e9, 1e9, "B", 2),
    (1e6, 1e6, "M", 2),
    (1e4, 1e3, "k", 0),
    (1e3, 1e3, "k", 1),
    (100.0, 1.0, "", 0),
    (0.0, 1.0, "", 2),
)


def _money_unit(magnitude: float) -> tuple[float, str, int]:
    """``(divisor, suffix, decimals)`` of amounts whose largest is ``magnitude``."""
    if magnitude == 0:
        return 1.0, "", 0
    return next((d, s, k) for low, d, s, k in MONEY_UNITS if magnitude >= low)


def _digits(text: str) -> int:
    """Significant digits shown in a number's text (``"2.0"``: 2, ``"0.1"``: 1, ``"10"``: 2)."""
    return len(text.replace(",", "").replace(".", "").lstrip("0"))


def money(x: Any, currency: str = "USD", scale: float | None = None) -> str:
    """A compact amount: ``$1.23M``, ``$250k``, ``$8.1k``, ``−$950``, ``$6.40``.

    ``scale`` is the magnitude of the amounts shown together (a table's or a row's largest), so
    that they share one unit and one precision (``$250k`` beside ``$12k``, not ``$12.3k``); by
    default ``x`` alone decides. A nonzero amount always keeps two significant digits, unless
    it is shown exactly in whole units (``$5k`` beside ``$10k``, but ``$10k``, not ``$0.01M``,
    beside ``$2.2M``): when the shared unit would round them away,
    it takes the coarsest unit of :data:`MONEY_UNITS` that keeps them (``$8.1k``, ``$2.0k``,
    ``−$481`` or ``$57`` beside ``$250k``, never ``$8k``, ``$2k``, ``$0k`` or ``$0.1k``).
    Zero is ``$0``. Amounts under $100 shown alone keep their cents. An amount that rounds to
    zero has no sign.
    """
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    symbol = "$" if currency == "USD" else f"{currency} "
    a = abs(x)
    magnitude = 0.0 if a == 0 else a if scale is None else max(abs(scale), a)
    divisor, suffix, decimals = _money_unit(magnitude)
    if a > 0:
        shared = next(
            i for i, row in enumerate(MONEY_UNITS) if row[1:] == (divisor, suffix, decimals)
        )
        for _, divisor, suffix, decimals in MONEY_UNITS[shared:]:  # noqa: B007 (used below)
            number = f"{a / divisor:.{decimals}f}"
            # Shown exactly counts only in whole units ($5k beside $10k, not $0.01M for $10k).
            if _digits(number) >= 2 or (float(number) * divisor == a and a >= divisor):
                break
    text = f"{a / divisor:.{decimals}f}{suffix}"
    sign = "−" if x < 0 and any(c in "123456789" for c in text) else ""
    return f"{sign}{symbol}{text}"


def money_number_format(values: Sequence[float], currency: str) -> str:
    """The spreadsheet number format (PowerPoint, Excel) that shows ``values`` as
    :func:`money` shows them together: the unit and decimals of the largest, a true minus."""
    symbol = '"$"' if currency == "USD" else f'"{currency} "'
    finite = [abs(v) for v in values if math.isfinite(v)]
    divisor, suffix, decimals = _money_unit(max(finite, default=0.0))
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    thousands = "," * round(math.log10(divisor) / 3)
    unit = f'"{suffix}"' if suffix else ""
    positive = f"{symbol}{digits}{thousands}{unit}"
    return f"{positive};−{positive}"


def number_format(values: Sequence[float], unit: str = "num") -> str:
    """The spreadsheet number format of plain numbers or durations shown together: the decimals
    of the largest, as :func:`fmt`; a duration in the unit it is stored in, named (the cell holds
    the stored number: ``#,##0.0" s"``)."""
    decimals = num_decimals(magnitude(values))
    digits = "#,##0" + ("." + "0" * decimals if decimals else "")
    return digits + ({"seconds": '" s"', "hours": '" h"'}.get(unit, ""))


def stated_pct(x: Any) -> str:
    """A share as the user stated it, as a percentage with the digits it needs: ``0.8`` →
    ``80%``, ``0.925`` → ``92.5%`` (a target, a confidence level, not an estimate)."""
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    return f"{significant(x * 100)}%"


def interval_text(low: str, high: str, centre: str = "") -> str:
    """An interval as every table shows it: ``centre [low–high]``, or ``[low–high]`` alone.

    The ends (and the centre) come formatted, with the precision of the numbers shown together.
    """
    band = f"[{low}–{high}]"
    return f"{centre} {band}" if centre else band


def number_or_nan(x: Any) -> float:
    """A number read back from JSON: None (how :func:`json_ready` writes NaN) is NaN."""
    return math.nan if x is None else float(x)


def json_ready(value: Any) -> Any:
    """``value`` with NaN and infinities as ``None``, NumPy scalars and tuples as JSON types.

    The JSON edge of every result (``to_dict()``, ``--json``, exported ``.json``): JSON has no
    NaN, so an undefined number is null. Dictionaries keep their order (keys become strings);
    ints and bools stay what they are.
    """
    if isinstance(value, float):  # NumPy's float64 is a float: made a Python float here
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, np.generic):
        return json_ready(value.item())
    return value


#: The time units a quantity can be stored in (a KPI's key says which: ``asa_seconds``,
#: ``response_p90_hours``), as seconds. Tables show them in the unit their magnitude needs
#: (:func:`duration_unit`).
DURATION_SECONDS = {"seconds": 1.0, "hours": 3600.0}


def duration_unit(unit: str, magnitude: float) -> tuple[str, float]:
    """How a duration stored in ``unit`` (a key of :data:`DURATION_SECONDS`) is shown beside
    others whose largest is ``magnitude``: the suffix and the stored amount one shown unit is.

    Seconds under two minutes, minutes under two hours, hours from there: a phone's P90 response
    of 29 s, where hours gave "0.008 h"; an email's mean wait of 3.3 h, where seconds gave
    "11,835 s". One unit for a whole row, so that its cells read alike.
    """
    stored = DURATION_SECONDS[unit]
    seconds = abs(magnitude) * stored
    if seconds < 120:
        return "s", 1 / stored
    if seconds < 7200:
        return "min", 60 / stored
    return "h", 3600 / stored


def fmt(x: Any, unit: str, currency: str = "USD", scale: float | None = None) -> str:
    """Format one number for a table or a label: ``pct``, ``money``, ``months``, ``num``, ...

    Parameters
    ----------
    x : the value (NaN, None or infinity give an em dash)
    unit : ``"pct"`` (a share, shown as %), ``"pp"`` (a difference of shares, in points),
        ``"money"``, ``"months"``, ``"num2"`` (two decimals), ``"num"``, or a duration stored
        in ``"seconds"`` or ``"hours"`` (shown with its unit: ``29 s``, ``12 min``, ``3.3 h``)
    currency : ISO code for money (``USD`` shows ``$``)
    scale : the magnitude of the numbers shown together (e.g. a row's P95), so that plain
        numbers share their decimals, amounts of money their unit and durations theirs;
        default: ``x`` itself
    """
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    if unit in DURATION_SECONDS:
        magnitude = abs(x) if scale is None else scale
        suffix, size = duration_unit(unit, magnitude)
        decimals = num_decimals(abs(magnitude) / size)
        return f"{x / size:,.{decimals}f} {suffix}".replace("-", "−")
    if unit == "pct":
        return pct(x)
    if unit == "pp":
        return signed(x, "pct", digits=0)
    if unit == "money":
        return money(x, currency, scale)
    if unit == "months":
        return f"{x:.0f}" if x == round(x) else f"{x:.1f}"
    if unit == "num2":
        return f"{x:,.2f}".replace("-", "−")
    magnitude = abs(x) if scale is None else scale
    decimals = 0 if x == round(x) and scale is None else num_decimals(magnitude)
    return f"{x:,.{decimals}f}".replace("-", "−")


def num_decimals(magnitude: float) -> int:
    """Decimals of plain numbers whose largest is ``magnitude``: 0 from 100 up (and for 0), 1
    from 10, 2 from 0.1, and below that two significant digits, up to 6 decimals (``1,234``,
    ``12.3``, ``1.23``, ``0.0077``: a phone's P90 response of 28 s in hours was "0.01")."""
    if magnitude >= 100 or magnitude == 0:
        return 0
    if magnitude >= 10:
        return 1
    if magnitude >= 0.1:
        return 2
    return min(6, 1 - math.floor(math.log10(magnitude)))


def signed(
    x: Any, unit: str, currency: str = "USD", scale: float | None = None, digits: int = 1
) -> str:
    """A difference with its sign: ``+2.5 pp`` for shares, ``−$12k``, ``+0.25``, ``+1,234``.

    ``unit`` is that of the quantities differenced (``pct`` or ``pp`` give percentage points
    with ``digits`` decimals, or the first significant digit of a smaller one, as :func:`pct`);
    ``scale`` as in :func:`fmt`. A difference that rounds to zero is shown with a plus sign.
    """
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    if unit in {"pct", "pp"}:
        points, digits = _points(x, digits)
        return f"{points:+.{digits}f} pp".replace("-", "−")
    text = fmt(abs(x), unit, currency, scale=abs(x) if scale is None else scale)
    zero = not any(c in "123456789" for c in text)
    return ("−" if x < 0 and not zero else "+") + text


def significant(x: Any, digits: int = 4) -> str:
    """An input's value: ``digits`` significant digits (``0.01836``, ``4.095``), or whole and
    with thousands separated from 1,000 up (``12,345``)."""
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    text = f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.{digits}g}"
    return text.replace("-", "−")


#: Decimals of a percentage on a screen (a notebook view, a terminal table); slides and
#: Markdown tables round to whole percents.
PCT_DIGITS = 1


def cell(x: Any, unit: str, currency: str = "USD", scale: float | None = None) -> str:
    """One number of a table on a screen: :func:`fmt`, percentages with
    :data:`PCT_DIGITS` decimals; ``scale`` is the magnitude of the numbers shown with it."""
    if unit == "pct":
        return pct(x, PCT_DIGITS)
    return fmt(x, unit, currency, scale=scale)


def tornado_scale(base: float | None, rows: Iterable[tuple[float, float]]) -> float:
    """The magnitude a tornado's numbers are shown at: the largest of its base and its rows'
    ``(low, high)`` that is defined, so that every cell of it has the same decimals."""
    return magnitude([base, *(v for row in rows for v in row)])


def input_span(low: Any, high: Any) -> str:
    """A swing's input values at its bar's ends, ``0.1732 → 0.7354``, or an em dash."""
    ok = all(isinstance(v, int | float) and math.isfinite(v) for v in (low, high))
    return f"{significant(low)} → {significant(high)}" if ok else "—"


def tornado_cells(
    row: tuple[float, float, float | None, float | None], unit: str, currency: str, scale: float
) -> tuple[str, str, str]:
    """A tornado row ``(low, high, coefficient, share of variance)`` as every table shows it:
    the rank correlation (``+0.64``), the output low and high (``−69.8% → −1.3%``, with the
    decimals ``scale``, the magnitude of the tornado's numbers, gives) and the share of
    variance (``32.9%``); an em dash for a statistic the row lacks (a swing's)."""
    low, high, coefficient, share = row
    rho = signed(coefficient, "num2") if coefficient is not None else "—"
    span = f"{cell(low, unit, currency, scale)} → {cell(high, unit, currency, scale)}"
    return rho, span, pct(share, PCT_DIGITS) if share is not None else "—"


def interval_cells(
    values: Sequence[float], unit: str, currency: str = "USD", scale: float | None = None
) -> list[str]:
    """Format numbers shown together (P5, P50, P95, …) with one precision: the largest's."""
    if scale is None:
        scale = magnitude(values)
    return [cell(v, unit, currency, scale) for v in values]


def html_table(
    caption: str, header: Sequence[str], rows: Sequence[Sequence[str]], footer: str = ""
) -> str:
    """A small HTML table (text escaped), first column left-aligned and the rest right."""

    def cells(tag: str, row: Sequence[str]) -> str:
        return "".join(
            f"<{tag} style='text-align:{'left' if i == 0 else 'right'}'>{html.escape(c)}</{tag}>"
            for i, c in enumerate(row)
        )

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    foot = f"<p>{html.escape(footer)}</p>" if footer else ""
    return (
        f"<div><table><caption style='text-align:left'>{html.escape(caption)}</caption>"
        f"<thead><tr>{cells('th', header)}</tr></thead><tbody>{body}</tbody></table>{foot}</div>"
    )


def text_table(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], notes: Sequence[str] = ()
) -> str:
    """A few lines of plain text for ``__repr__``: the title, then an aligned table and notes."""
    table = [list(header), *(list(r) for r in rows)]
    widths = [max(len(row[j]) for row in table) for j in range(len(header))]
    lines = [title]
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  " + "  ".join(cells).rstrip())
    lines += [f"  {note}" for note in notes]
    return "\n".join(lines)

"""The terminal tables: every number through `simroi.formatting`, one precision per table."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console
from synthetic import make_synthetic_run

from simroi.analysis.comparison import compare_result_set
from simroi.analysis.sensitivity import summarize_sensitivity
from simroi.analysis.summary import summarize
from simroi.analysis.sweep import summarize_sweep
from simroi.cli.app import main
from simroi.cli.render import (
    render_comparison,
    render_queue_study,
    render_run_summary,
    render_sensitivity,
)
from simroi.cli.render_sweep import render_sweep
from simroi.execution.result import ResultSet, RunResult
from simroi.formatting import PCT_DIGITS, cell, chance, fmt, interval_cells, pct
from simroi.queueing.queue_spec import QueueSpec
from simroi.queueing.study import study_queue, study_rows

AMOUNT = re.compile(r"[−-]?\$(\d[\d,]*(?:\.(\d+))?)([kMB]?)")
PERCENT = re.compile(r"[−-]?\d+(?:\.(\d+))?%")


def _text(render: Callable[..., None], summary: Any, width: int = 240, **options: Any) -> str:
    console = Console(record=True, width=width, color_system=None)
    render(summary, console, **options)
    return console.export_text()


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


UNITS = {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}


def _precisions(text: str) -> set[tuple[int, str]]:
    """(decimals, unit suffix) of every amount of money in ``text``."""
    return {(len(m.group(2) or ""), m.group(3)) for m in AMOUNT.finditer(text)}


def _digits(number: str) -> int:
    return len(number.replace(",", "").replace(".", "").lstrip("0"))


def _assert_one_scale(text: str) -> None:
    """The amounts in ``text`` share the unit and precision of the largest, except those that
    would keep fewer than two significant digits in it (``$3.7k``, ``−$481`` beside ``$133k``,
    where the shared unit would print ``$4k`` and ``$0k``)."""
    amounts = [
        (float(m.group(1).replace(",", "")) * UNITS[m.group(3)], len(m.group(2) or ""), m.group(3))
        for m in AMOUNT.finditer(text)
    ]
    assert amounts
    _, decimals, unit = max(amounts, key=lambda a: abs(a[0]))
    for value, d, u in amounts:
        if value == 0:
            continue
        shared = f"{value / UNITS[unit]:.{decimals}f}"
        if (d, u) != (decimals, unit):
            assert _digits(shared) < 2, (value, d, u)


def test_amounts_in_a_run_table_share_one_unit_and_precision(synthetic_run: RunResult) -> None:
    text = _text(render_run_summary, summarize(synthetic_run))
    assert not re.search(r"\$\d{1,3},\d{3}\.\d\d", text)  # never "$3,695.22" beside "$133k"
    money_rows = _between(text, "NPV ", "P(ROI > 0)")
    lines = _between(text, "Benefits and costs", "TEI-style")
    for table in (money_rows, lines):
        _assert_one_scale(table)
    assert "-" not in money_rows.replace("━", "").replace("─", "")  # a true minus sign: −


def test_a_short_run_never_shows_a_nonzero_amount_as_zero_thousands(
    synthetic_run: RunResult,
) -> None:
    # A 3-month run: benefit lines of a few hundred dollars beside $49k of agent cost printed as
    # "$0k", and −$481 too.
    short = make_synthetic_run(trials=60, horizon=3)
    text = _text(render_run_summary, summarize(short))
    lines = _between(text, "Benefits and costs", "TEI-style")
    assert "$0k" not in lines and "$0.0k" not in lines
    _assert_one_scale(lines)
    small = [m.group(0) for m in AMOUNT.finditer(lines) if not m.group(3)]
    assert small, lines  # the small amounts are shown in dollars


def test_percentages_in_the_terminal_have_one_decimal(synthetic_run: RunResult) -> None:
    text = _text(render_run_summary, summarize(synthetic_run))
    for objective in synthetic_run.meta["objectives"]:  # labels the user wrote, such as "8%"
        text = text.replace(objective["label"], "")
    assert {len(m.group(1) or "") for m in PERCENT.finditer(text)} == {1}


def test_each_row_of_a_comparison_has_one_precision(synthetic_compare: ResultSet) -> None:
    text = _text(render_comparison, compare_result_set(synthetic_compare))
    npv_row = _between(text, "│ NPV", "│ Payback")
    _assert_one_scale(npv_row.split("Δ")[0])
    assert "P(highest NPV)" in text and "P(better)" in text
    assert "ΔNPV two-agents vs one-agent" in text


def test_sweep_and_sensitivity_tables_render_through_the_formatter(
    synthetic_sweep: ResultSet, synthetic_run_with_sensitivity: RunResult
) -> None:
    sweep = _text(render_sweep, summarize_sweep(synthetic_sweep))
    money = _between(sweep, "Money, each point", "PV costs: mean")
    _assert_one_scale(money)
    assert "★ Best expected NPV" in sweep
    tornado = _text(
        render_sensitivity, summarize_sensitivity(synthetic_run_with_sensitivity), top=3
    )
    assert "top 3 of 4 inputs" in tornado and "One-at-a-time swing tornado" in tornado
    assert {len(m.group(1) or "") for m in PERCENT.finditer(tornado)} == {1}


def test_an_80_column_terminal_cuts_no_number_of_a_sweep_or_a_comparison(
    synthetic_sweep: ResultSet, synthetic_compare: ResultSet
) -> None:
    """A sweep of two settings printed "[−96.7%…" and "10…" (100.0 %? 10 %?) in 80 columns: the
    bands fold, and service levels and objectives go in two tables when one does not fit."""
    for keys, second in (
        (["channels.social.agents", "channels.phone.agents"], 20),
        (["channels.social.agents", "customers.monthly_margin_per_customer"], 12.25),
    ):
        two = ResultSet(
            "sweep",
            synthetic_sweep.runs,
            {**synthetic_sweep.meta, "keys": keys, "points": [[a, second] for a in range(1, 6)]},
        )
        sweep = summarize_sweep(two)
        for width in (60, 80):
            narrow = _text(render_sweep, sweep, width=width)
            assert "…" not in narrow, (keys, width)
            assert "and P(objective met)" not in narrow and "\nP(objective met)" in narrow
            for p in sweep.points:
                for number in (p.prob_best, p.prob_all_objectives):
                    assert chance(number, PCT_DIGITS) in narrow
                for end in (p.roi.p05, p.roi.p95):  # a band's ends whole, not folded apart
                    assert cell(end, "pct", "USD", None) in narrow
                for o in p.objectives:
                    assert chance(o.probability, PCT_DIGITS) in narrow
            cells = {c.strip() for line in narrow.splitlines() for c in line.split("│")}
            assert str(second) in cells and {str(a) for a in range(1, 6)} <= cells
            # No table is cropped at the right: each line ends on its border, marks included.
            tables = [line for line in narrow.splitlines() if line[:1] in "┏┃┡│└"]
            assert all(line[-1] in "┓┃┩│┘" for line in tables), (keys, width)
            money = _between(narrow, "Money, each point", "PV costs: mean")
            assert money.count("★") == 1
        wide = _text(render_sweep, sweep)
        assert "Service level (mean over the horizon) and P(objective met)" in wide  # one
    compared = _text(render_comparison, compare_result_set(synthetic_compare), width=80)
    assert "…" not in compared


def test_a_sweep_band_takes_the_fewest_lines_the_terminal_allows(
    synthetic_sweep: ResultSet,
) -> None:
    """One line on a wide terminal, two (median, then [P5–P95]), then three (broken after the
    en dash), never a number cut in two; the layout only ever gets taller as the width falls."""
    from simroi.cli.render import band

    sweep = summarize_sweep(synthetic_sweep)
    p = sweep.points[0]
    whole = band(p.roi, "pct", "USD", None, "p50")
    _, bracket = whole.split(" ", 1)
    low = bracket.split("–")[0] + "–"
    seen = []
    for width in range(250, 49, -5):
        text = _text(render_sweep, sweep, width=width)
        lines = 1 if whole in text else 2 if bracket in text else 3 if low in text else 0
        assert lines, width  # the band is there, whole or broken at its breaks only
        seen.append(lines)
    assert seen == sorted(seen) and {1, 2, 3} <= set(seen), seen


def _strict_json(text: str) -> Any:
    """JSON as the standard reads it: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("seed", ["8", "3"])  # seed 8: one day with one arrival; seed 3: none
def test_queue_json_of_a_nearly_idle_queue_is_valid_json(seed: str) -> None:
    # The reviewer's command printed "ci95": [NaN, NaN]: days with no arrival have no service
    # level, and one day with one has no interval. Undefined numbers are null.
    args = ["queue", "--arrivals-per-hour", "0.2", "--agents", "2", "--aht-minutes", "3"]
    args += ["--hours", "1", "--trials", "3", "--seed", seed, "--json"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = _strict_json(result.output)
    service = data["simulated"]["service_level"]
    assert service["ci95"] == [None, None]
    assert service["mean"] == (1.0 if seed == "8" else None)  # one day with arrivals, or none


def test_queue_table_shows_intervals_in_brackets_and_numbers_with_separators() -> None:
    spec = QueueSpec(1260, 90, 4.0, patience_minutes=3.0, hours=8.0)
    study = study_queue(spec, trials=20, seed=7)
    console = Console(record=True, width=160, color_system=None)
    render_queue_study(study.to_dict(), console)
    text = console.export_text()
    asa = study.to_dict()["simulated"]["asa_seconds"]
    low, high = (fmt(x, "num2") for x in asa["ci95"])
    assert f"{fmt(asa['mean'], 'num2')} [{low}–{high}]" in text
    assert ", " not in _between(text, "Service level", "Erlang values")  # never "[a, b]"
    # The notebook's view has the same cells: it showed Erlang C's abandonment as "—" where the
    # terminal had 0.0% (two tables written twice).
    shown = repr(study)
    for row in study_rows(study.to_dict()):
        assert all(cell_text in text and cell_text in shown for cell_text in row), row
    assert "Abandonment" in text and "0.0%" in _between(text, "Abandonment", "ASA")
    tiny = study_queue(QueueSpec(0.2, 2, 3.0, hours=1.0), trials=3, seed=1)
    console = Console(record=True, width=160, color_system=None)
    render_queue_study(tiny.to_dict(), console)
    # No patience: nobody hangs up, and the row says what it counts (it said "abandonment").
    service = _between(console.export_text(), "Service level", "Unanswered at day's end")
    assert "99.996% │" in service and "[" not in service  # no interval; not "100.0%"


def test_compare_repr_and_terminal_show_the_same_centre(synthetic_compare: ResultSet) -> None:
    # The notebook view showed P50 (P5 to P95) where `simroi compare` showed mean [P5–P95]; both
    # now lead with the median, as the run, the sweep and every export do.
    comparison = compare_result_set(synthetic_compare)
    text = _text(render_comparison, comparison)
    shown = repr(comparison)
    for metric in ("roi", "npv"):
        values = comparison.metric(metric).values
        kind = comparison.metric(metric).kind
        scale = max(abs(x) for v in values for x in (v.mean, v.p05, v.p50, v.p95))
        for value in values:
            p50, low, high = interval_cells([value.p50, value.p05, value.p95], kind, "USD", scale)
            cell = f"{p50} [{low}–{high}]"
            assert cell in shown and cell in text, cell


def test_a_run_shows_the_three_year_and_the_lifetime_view_side_by_side(
    synthetic_run: RunResult,
) -> None:
    summary = summarize(synthetic_run)
    text = _text(render_run_summary, summary)
    views = _between(text, "Two views of the return", "Benefits and costs")
    header = next(line for line in views.splitlines() if "lifetime view" in line)
    assert header.index("36-month view (TEI, headline)") < header.index("lifetime view")
    assert summary.lifetime is not None
    npv_row = next(line for line in views.splitlines() if line.strip("│┃ ").startswith("NPV"))
    ivs = (summary.npv, summary.lifetime.npv)
    scale = max(abs(x) for iv in ivs for x in (iv.mean, iv.p05, iv.p50, iv.p95))
    for iv in ivs:  # each view's median, in the table's one unit
        assert f"{cell(iv.p50, 'money', summary.currency, scale)} [" in npv_row
    lifetime_share = pct(summary.lifetime.prob_roi_positive.value, 1)
    assert lifetime_share in views
    assert "Headline: the 36-month (TEI) view" in " ".join(views.split())
    _assert_one_scale(_between(views, "NPV", "P(ROI > 0)"))


def test_a_runs_interval_tables_lead_with_the_median(synthetic_run: RunResult) -> None:
    """The run's ROI and line tables led with the mean, where every other table and export
    leads with the median: P50, P5, P95, then the mean, as in the Markdown."""
    summary = summarize(synthetic_run)
    text = _text(render_run_summary, summary)
    for start, end in (("Return on investment", "P(ROI > 0)"), ("Benefits and costs", "TEI")):
        table = _between(text, start, end)
        header = next(line for line in table.splitlines() if "P50" in line)
        cols = [c.strip() for c in header.strip("┃ ").split("┃")]
        assert cols[-4:] == ["P50", "P5", "P95", "mean"], header
    roi = next(line for line in text.splitlines() if line.strip("│ ").startswith("ROI "))
    cells = [c.strip() for c in roi.strip("│ ").split("│")]
    iv = summary.roi
    assert cells[1:] == [pct(x, PCT_DIGITS) for x in (iv.p50, iv.p05, iv.p95, iv.mean)]


def test_a_payback_some_trials_never_reach_says_how_many_reach_it(
    synthetic_compare: ResultSet,
) -> None:
    # A newcomer read "Δ +11.9" beside means of 21.8 and 22.9 as a contradiction: the Δ was over
    # the 7 of 200 trials in which both paid back, and nothing said so.
    comparison = compare_result_set(synthetic_compare)
    text = _text(render_comparison, comparison)
    payback = comparison.metric("payback_months")
    cells = " ".join(_between(text, "Payback", "PV benefits").split())
    for value, diff in zip(payback.values, payback.differences, strict=True):
        assert value.defined < 1
        assert f"pays back in {pct(value.defined, PCT_DIGITS)} of trials" in cells
        if diff is not None:
            both = round(diff.defined * comparison.trials)
            assert f"over the {both:,} trials in which both pay back" in cells


def test_output_to_a_file_is_wide_enough_for_its_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped with no COLUMNS, rich printed 80 columns and cut a sweep's NPV cell to
    "[−$1.03M–−$0.35…"; a terminal, or a COLUMNS the user set, keeps its own width."""
    import click

    from simroi.cli.options import PIPED_WIDTH, console_for

    ctx = click.Context(main)
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert console_for(ctx).width == PIPED_WIDTH
    monkeypatch.setenv("COLUMNS", "64")
    assert console_for(ctx).width == 64


def test_the_social_media_kpis_carry_their_interval_as_the_channels_do() -> None:
    """The table promises "P50 [P5–P95]"; the social-media rows showed the P50 alone."""
    from simroi.cli.render import render_kpis

    summary = summarize(make_synthetic_run())
    console = Console(width=200, record=True, color_system=None)
    render_kpis(summary, console)
    rows = [line for line in console.export_text().splitlines() if "social media" in line]
    assert len(rows) == 3
    posts = summary.kpis["program"]["public_posts"]
    assert f"{fmt(posts.p50, 'num', scale=posts.p95)} [" in rows[0]
    assert all(line.count("[") == 2 for line in rows), rows


def test_the_progress_bar_counts_one_trial_in_the_singular(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    from simroi.cli.options import progress_bar

    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    bar, update = progress_bar(False)
    assert bar is not None and update is not None
    shown = []
    for done, planned in ((1, 1), (5, 10)):
        update(done, planned)
        console = Console(file=io.StringIO(), width=100, color_system=None)
        console.print(bar.make_tasks_table(bar.tasks))
        shown.append(console.file.getvalue())  # type: ignore[attr-defined]
    assert " 1 trial " in shown[0] and " 5 trials " in shown[1]

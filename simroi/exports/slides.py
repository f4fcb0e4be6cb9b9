"""The building blocks of a deck: slides, native charts, tables and key-number panels.

A :class:`SlideDeck` adds slides to a presentation (a plain 16:9 one, or the user's template with
its master, layouts and theme) with a title, a content box under it and the provenance footer.
Charts are native PowerPoint charts with embedded data, so they stay editable; their colours are
theme colours (accents, text 2, background 2), so they follow the user's template. The story told
with these blocks, slide by slide, is in :mod:`simroi.exports.deck`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from lxml import etree
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.dml import MSO_LINE_DASH_STYLE, MSO_THEME_COLOR
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide, SlideLayout
from pptx.util import Emu, Inches, Length, Pt

from simroi.errors import InputFileError
from simroi.formatting import money_number_format
from simroi.formatting import number_format as plain_number_format
from simroi.report.run import footer
from simroi.report.types import Report

__all__ = [
    "ACCENT",
    "ACCENT2",
    "ACCENT3",
    "DARK",
    "GREY",
    "MUTED",
    "Box",
    "SlideDeck",
    "error_bars",
    "fill",
    "line_style",
    "load_template",
    "nice_scale",
    "number_format",
]

Box = tuple[int, int, int, int]  # left, top, width, height in EMU


def _emu(box: Box) -> tuple[Length, Length, Length, Length]:
    left, top, width, height = box
    return Emu(left), Emu(top), Emu(width), Emu(height)


ACCENT, ACCENT2, DARK, GREY = (
    MSO_THEME_COLOR.ACCENT_1,
    MSO_THEME_COLOR.ACCENT_2,
    MSO_THEME_COLOR.TEXT_2,
    MSO_THEME_COLOR.TEXT_1,
)
ACCENT3 = MSO_THEME_COLOR.ACCENT_3
MUTED = RGBColor(0x59, 0x59, 0x59)


def load_template(path: str | Path) -> PresentationType:
    """Open a user's ``.pptx`` template (raises InputFileError if it is not one)."""
    source = Path(path)
    if not source.is_file():
        raise InputFileError(f"{source}: template not found")
    try:
        return Presentation(str(source))
    except Exception as exc:  # python-pptx raises several types for a foreign file
        raise InputFileError(
            f"{source}: not a PowerPoint .pptx template ({type(exc).__name__}: {exc})"
        ) from None


def _layout(prs: PresentationType, names: Sequence[str], title_only: bool) -> SlideLayout:
    layouts = list(prs.slide_layouts)
    for name in names:
        for layout in layouts:
            if layout.name.lower() == name.lower():
                return layout

    def has_title(layout: SlideLayout) -> bool:
        return any(ph.placeholder_format.idx == 0 for ph in cast(Any, layout).placeholders)

    titled = [lay for lay in layouts if has_title(lay)]
    if not titled:
        return layouts[-1]
    return (
        min(titled, key=lambda lay: len(cast(Any, lay).placeholders)) if title_only else titled[0]
    )


class SlideDeck:
    """Slides on a master, with a title, a content box and a provenance footer each."""

    def __init__(self, report: Report, template: PresentationType | None) -> None:
        self.report = report
        self.cur = report.main.currency
        self.templated = template is not None
        if template is None:
            self.prs = Presentation()
            self.prs.slide_width, self.prs.slide_height = Inches(13.333), Inches(7.5)
        else:
            self.prs = template
            slide_ids = self.prs.slides._sldIdLst
            for slide_id in list(slide_ids):
                self.prs.part.drop_rel(slide_id.rId)
                slide_ids.remove(slide_id)
        self.w = int(self.prs.slide_width or Inches(13.333))
        self.h = int(self.prs.slide_height or Inches(7.5))
        self.cover = _layout(self.prs, ["Title Slide"], title_only=False)
        self.content = _layout(self.prs, ["Title Only", "Title only"], title_only=True)
        self.footer = footer(report.main.result, len(report.runs))

    def slide(self, title: str, notes: str = "") -> tuple[Slide, Box]:
        """A content slide with ``title``; returns it and the box under the title."""
        slide = self.prs.slides.add_slide(self.content)
        margin = int(Inches(0.5))
        top = int(Inches(1.35))
        if slide.shapes.title is not None:
            shape = slide.shapes.title
            shape.text = title
            frame = shape.text_frame
            frame.word_wrap = True
            if self.templated:
                frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
                top = max(top, int(shape.top or 0) + int(shape.height or 0) + int(Inches(0.1)))
            else:
                shape.left, shape.top = margin, int(Inches(0.3))
                shape.width, shape.height = self.w - 2 * margin, int(Inches(0.95))
                frame.vertical_anchor = MSO_ANCHOR.TOP
                for p in frame.paragraphs:
                    p.alignment = PP_ALIGN.LEFT
                    for run in p.runs:
                        run.font.size = Pt(26 if len(title) < 70 else 22)
                        run.font.bold = True
        else:
            self.text(
                slide,
                (margin, int(Inches(0.3)), self.w - 2 * margin, int(Inches(0.9))),
                [(title, 26, True)],
            )
        self.text(
            slide,
            (margin, self.h - int(Inches(0.42)), self.w - 2 * margin, int(Inches(0.3))),
            [(self.footer, 10, False)],
            color=MUTED,
        )
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
        return slide, (margin, top, self.w - 2 * margin, self.h - top - int(Inches(0.55)))

    def text(
        self,
        slide: Slide,
        box: Box,
        paragraphs: Sequence[tuple[str, int, bool]],
        color: RGBColor | None = None,
        space_pt: int = 6,
    ) -> None:
        """A text box: one paragraph per ``(text, size_pt, bold)``."""
        frame = slide.shapes.add_textbox(*_emu(box)).text_frame
        frame.word_wrap = True
        for i, (text, size, bold) in enumerate(paragraphs):
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            p.space_after = Pt(space_pt)
            run = p.add_run()
            run.text = text
            run.font.size = Pt(size)
            run.font.bold = bold
            if color is not None:
                run.font.color.rgb = color

    def table(
        self,
        slide: Slide,
        box: Box,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        size: int = 12,
        bold_rows: Sequence[int] = (),
        numeric: Sequence[int] = (),
    ) -> None:
        """A native table; ``widths`` are shares of the box width; ``numeric`` columns are
        right-aligned."""
        left, top, width, _ = box
        columns = [int(width * share / sum(widths)) for share in widths]
        # Numbers must not wrap: shrink the font (down to 10 pt) until the widest number of
        # each numeric column fits, at about 0.62 em per character (bold) plus the cell margins.
        for j in numeric:
            longest = max(len(str(row[j])) for row in [header, *rows])
            while size > 10 and longest * size * 0.62 / 72 + 0.2 > columns[j] / 914400:
                size -= 1
        shape = slide.shapes.add_table(
            len(rows) + 1,
            len(header),
            Emu(left),
            Emu(top),
            Emu(width),
            Emu(int(Inches(0.32)) * (len(rows) + 1)),
        )
        table = shape.table
        for j, column in enumerate(columns):
            table.columns[j].width = Emu(column)
        for i, cells in enumerate([list(header), *map(list, rows)]):
            table.rows[i].height = Emu(int(Inches(0.3)))
            for j, value in enumerate(cells):
                cell = table.cell(i, j)
                cell.text = value
                cell.margin_top = cell.margin_bottom = Inches(0.03)
                for p in cell.text_frame.paragraphs:
                    p.alignment = PP_ALIGN.RIGHT if j in numeric else PP_ALIGN.LEFT
                    for run in p.runs:
                        run.font.size = Pt(size)
                        run.font.bold = i == 0 or (i - 1) in bold_rows

    def bar_chart(
        self,
        slide: Slide,
        box: Box,
        categories: Sequence[str],
        series: Sequence[tuple[str, Sequence[float]]],
        number_format: str,
        title: str,
        horizontal: bool = True,
        stacked: bool = False,
    ) -> Chart:
        """A native bar (or column) chart with a title and readable fonts."""
        data = CategoryChartData(number_format=number_format)
        data.categories = list(categories)
        for name, values in series:
            data.add_series(name, [float(v) for v in values])
        kind = {
            (True, False): XL_CHART_TYPE.BAR_CLUSTERED,
            (True, True): XL_CHART_TYPE.BAR_STACKED,
            (False, False): XL_CHART_TYPE.COLUMN_CLUSTERED,
            (False, True): XL_CHART_TYPE.COLUMN_STACKED,
        }[(horizontal, stacked)]
        frame: Any = slide.shapes.add_chart(kind, *_emu(box), cast(Any, data))
        chart: Chart = frame.chart
        self._style(chart, title, len(series) > 1)
        plot = chart.plots[0]
        plot.gap_width = 60
        if stacked or len(series) > 1:
            plot.overlap = 100
        for s in plot.series:
            s.invert_if_negative = False
        if horizontal:
            # First category on top; the value axis then crosses at the last category, so it
            # stays at the bottom of the plot.
            chart.category_axis.reverse_order = True
            crosses = chart.value_axis._element.find(qn("c:crosses"))
            if crosses is not None:
                crosses.set("val", "max")
        chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
        chart.value_axis.tick_labels.number_format = number_format
        chart.value_axis.tick_labels.number_format_is_linked = False
        return chart

    def line_chart(
        self,
        slide: Slide,
        box: Box,
        categories: Sequence[str],
        series: Sequence[tuple[str, Sequence[float]]],
        number_format: str,
        title: str,
    ) -> Chart:
        """A native line chart, one line per series."""
        data = CategoryChartData(number_format=number_format)
        data.categories = list(categories)
        for name, values in series:
            data.add_series(name, [float(v) for v in values])
        frame: Any = slide.shapes.add_chart(XL_CHART_TYPE.LINE, *_emu(box), cast(Any, data))
        chart: Chart = frame.chart
        self._style(chart, title, True)
        chart.value_axis.tick_labels.number_format = number_format
        chart.value_axis.tick_labels.number_format_is_linked = False
        chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
        for s in chart.plots[0].series:
            s.smooth = False
        return chart

    def xy_chart(
        self,
        slide: Slide,
        box: Box,
        series: Sequence[tuple[str, Sequence[float], Sequence[float]]],
        number_format: str,
        title: str,
        x_title: str,
        x_major: float,
    ) -> Chart:
        """A native XY chart of lines ``(name, x, y)`` over a numeric x axis (e.g. months)."""
        data = XyChartData(number_format=number_format)
        for name, xs, ys in series:
            s = data.add_series(name)
            for xi, yi in zip(xs, ys, strict=True):
                s.add_data_point(float(xi), float(yi))
        x = [float(v) for _, xs, _ in series for v in xs]
        frame: Any = slide.shapes.add_chart(
            XL_CHART_TYPE.XY_SCATTER_LINES_NO_MARKERS, *_emu(box), cast(Any, data)
        )
        chart: Chart = frame.chart
        self._style(chart, title, True)
        chart.value_axis.tick_labels.number_format = number_format
        chart.value_axis.tick_labels.number_format_is_linked = False
        x_axis = chart.category_axis
        x_axis.minimum_scale, x_axis.maximum_scale = float(min(x)), float(max(x))
        x_axis.major_unit = x_major
        x_axis.has_major_gridlines = False
        x_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
        x_axis.has_title = True
        x_axis.axis_title.text_frame.text = x_title
        for p in x_axis.axis_title.text_frame.paragraphs:
            for run in p.runs:
                run.font.size, run.font.bold = Pt(13), False
        for s in chart.plots[0].series:
            s.smooth = False
        return chart

    @staticmethod
    def _style(chart: Chart, title: str, legend: bool) -> None:
        chart.font.size = Pt(14)
        chart.has_title = True
        chart.chart_title.text_frame.text = title
        for p in chart.chart_title.text_frame.paragraphs:
            for run in p.runs:
                run.font.size = Pt(16)
                run.font.bold = True
        chart.has_legend = legend
        if legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
            chart.legend.font.size = Pt(13)
        chart.value_axis.has_major_gridlines = True
        chart.value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xD9, 0xD9, 0xD9)

    def panel(self, slide: Slide, box: Box, items: Sequence[tuple[str, str]]) -> None:
        """Key numbers beside a chart: a big value over a short caption, stacked."""
        frame = slide.shapes.add_textbox(*_emu(box)).text_frame
        frame.word_wrap = True
        first = True
        for value, caption in items:
            p = frame.paragraphs[0] if first else frame.add_paragraph()
            first = False
            run = p.add_run()
            run.text = value
            size = 28 if len(value) <= 10 else 18 if len(value) <= 17 else 15
            run.font.size, run.font.bold = Pt(size), True
            run.font.color.theme_color = DARK
            q = frame.add_paragraph()
            q.space_after = Pt(14)
            cap = q.add_run()
            cap.text = caption
            cap.font.size = Pt(14)
            cap.font.color.rgb = MUTED


def fill(target: Any, theme: MSO_THEME_COLOR, brightness: float = 0.0) -> None:
    target.format.fill.solid()
    target.format.fill.fore_color.theme_color = theme
    if brightness:
        target.format.fill.fore_color.brightness = brightness


def line_style(
    series: Any,
    theme: MSO_THEME_COLOR,
    width_pt: float,
    dash: bool = False,
    brightness: float = 0.0,
) -> None:
    line = series.format.line
    line.color.theme_color = theme
    if brightness:
        line.color.brightness = brightness
    line.width = Pt(width_pt)
    if dash:
        line.dash_style = MSO_LINE_DASH_STYLE.DASH


def error_bars(series: Any, minus: Sequence[float], plus: Sequence[float]) -> None:
    """Custom error bars (P5 below, P95 above the median) on a bar or line series."""

    def literal(values: Sequence[float]) -> etree._Element:
        lit = etree.Element(qn("c:numLit"))
        etree.SubElement(lit, qn("c:formatCode")).text = "General"
        etree.SubElement(lit, qn("c:ptCount")).set("val", str(len(values)))
        for i, v in enumerate(values):
            pt = etree.SubElement(lit, qn("c:pt"))
            pt.set("idx", str(i))
            etree.SubElement(pt, qn("c:v")).text = repr(max(float(v), 0.0))
        return lit

    bars = etree.Element(qn("c:errBars"))
    etree.SubElement(bars, qn("c:errBarType")).set("val", "both")
    etree.SubElement(bars, qn("c:errValType")).set("val", "cust")
    etree.SubElement(bars, qn("c:noEndCap")).set("val", "0")
    etree.SubElement(bars, qn("c:plus")).append(literal(plus))
    etree.SubElement(bars, qn("c:minus")).append(literal(minus))
    line = etree.SubElement(etree.SubElement(bars, qn("c:spPr")), qn("a:ln"))
    line.set("w", "22225")
    fill = etree.SubElement(etree.SubElement(line, qn("a:solidFill")), qn("a:schemeClr"))
    fill.set("val", "tx1")
    series._element.find(qn("c:cat")).addprevious(bars)


def nice_scale(axis: Any, low: float, high: float, include_zero: bool = True) -> None:
    """Fix a value axis to round bounds covering ``[low, high]`` (whiskers included)."""
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    span = high - low
    if not math.isfinite(span) or span <= 0:
        return
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    axis.minimum_scale = math.floor(low / step) * step
    axis.maximum_scale = math.ceil(high / step) * step
    axis.major_unit = step


def number_format(unit: str, values: Sequence[float], currency: str) -> str:
    """The number format of a native chart's values in ``unit``, as the tables show them
    (:mod:`simroi.formatting`): money in the unit of the largest amount, plain numbers with the
    decimals of the largest; percentages whole (one format for a whole axis: a chart cannot
    keep a table's extra digit for 99.9 % or −0.1 %)."""
    if unit == "money":
        return money_number_format(values, currency)
    if unit in {"pct", "pp"}:
        return "0%"
    return plain_number_format(values, unit)

"""Where ECharts drew the parts of a chart that can run into one another — the legend, the
title, the zoom slider — as boxes in the chart's own pixels, read in the browser from each
component's drawn group (its bounding rectangle, moved by the group's transform), and
how much a chart's canvases have drawn on them. Used by the console's and the report's browser
tests (tests/web/test_chart_layout.py, tests/report/test_report_files.py)."""

from __future__ import annotations

from typing import Any

Box = tuple[float, float, float, float]  # x, y, width, height

# One entry a chart element: {"chart": its data-chart or id, "legend": [box…],
# "title": [box…], "slider": [box…], "inked": pixels with paint on the chart's canvases}.
_MEASURE = """els => els.map(el => {
  const chart = echarts.getInstanceByDom(el);
  if (!chart) return null;
  const boxes = (type, keep) => chart.getModel().findComponents({mainType: type})
    .filter(m => !keep || m.subType === keep)
    .map(m => chart.getViewOfComponentModel(m)).filter(v => v && v.group)
    .map(v => { v.group.updateTransform();
                const r = v.group.getBoundingRect().clone();
                if (v.group.transform) r.applyTransform(v.group.transform);
                return [r.x, r.y, r.width, r.height]; })
    .filter(b => b[2] > 0 && b[3] > 0);
  // Every layer: ECharts draws a heatmap's cells on a canvas of their own.
  let inked = 0;
  el.querySelectorAll("canvas").forEach(canvas => {
    const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < px.length; i += 4) if (px[i] > 0) inked++;
  });
  return {chart: el.dataset.chart || el.id, legend: boxes("legend"), title: boxes("title"),
          slider: boxes("dataZoom", "slider"), inked: inked};
})"""


def chart_parts(page: Any, selector: str) -> list[dict[str, Any]]:
    """The parts of every chart matching `selector` on the page (charts not drawn left out)."""
    return [c for c in page.eval_on_selector_all(selector, _MEASURE) if c is not None]


def intersect(a: Box, b: Box) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def collisions(chart: dict[str, Any]) -> list[str]:
    """The pairs of a chart's legend, title and slider that overlap, named."""
    found = []
    for one, other in (("legend", "slider"), ("legend", "title"), ("title", "slider")):
        for a in chart[one]:
            for b in chart[other]:
                if intersect(a, b):
                    found.append(f"{chart['chart']}: {one} {a} over {other} {b}")
    return found

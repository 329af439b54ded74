"""The pages' SVG charts: accessible (title, desc, labelled axes), each value where it belongs."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

from api.pages.charts import bar_chart, line_chart

NS = "{http://www.w3.org/2000/svg}"
TEXT = {
    "title": "Cost per parcel",
    "desc": "Falling since May",
    "x_label": "month",
    "y_label": "EUR",
}


def test_a_line_chart_is_labelled_and_rises_where_the_values_rise():
    svg = line_chart([("Apr", Decimal("4.10")), ("May", 5), ("Jun", 3.5)], target=4, **TEXT)
    root = ElementTree.fromstring(str(svg))
    assert root.get("role") == "img"
    assert root.find(f"{NS}title").text == "Cost per parcel"
    assert root.find(f"{NS}desc").text == "Falling since May"
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert {"month", "EUR", "Apr", "May", "Jun"} <= set(texts)
    ys = [float(c.get("cy")) for c in root.iter(f"{NS}circle")]
    assert ys[1] < ys[0] < ys[2]  # SVG y grows downwards: May highest, June lowest
    target = root.find(f"{NS}line[@class='target']")
    assert target is not None and ys[1] < float(target.get("y1")) < ys[2]


def test_bars_are_as_tall_as_their_values_and_escape_their_labels():
    svg = str(bar_chart([("DHL <express>", 10), ("UPS", 5)], **TEXT))
    heights = [float(h) for h in re.findall(r'<rect[^>]* height="([\d.]+)"', svg)]
    assert heights[0] == 2 * heights[1]
    assert "DHL &lt;express&gt;" in svg and "<express>" not in svg

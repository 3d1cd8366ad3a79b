"""The trends page: the chart's points, filters, CSV and query agree with the snapshot; Epoch's credit line is on
the pages."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest

from aikg.graph.trends import number

R = "https://w3id.org/ai-history/resource/"
CREDIT = "Data: Epoch AI (epochai.org), CC BY 4.0"


class _Chart(HTMLParser):
    """Collect the chart's links and circles, and the texts of the SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.in_svg = False
        self.links: list[str] = []
        self.circles: list[dict[str, str]] = []
        self.texts: list[str] = []
        self._text = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.in_svg = True
        elif self.in_svg and tag == "a":
            self.links.append(a["href"])
        elif self.in_svg and tag == "circle":
            self.circles.append(a)
        elif self.in_svg and tag == "text":
            self._text = True

    def handle_endtag(self, tag):
        if tag == "svg":
            self.in_svg = False
        self._text = False if tag == "text" else self._text

    def handle_data(self, data):
        if self._text:
            self.texts.append(data.strip())


def chart(client, query: str = "") -> tuple[_Chart, str]:
    response = client.get("/trends" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    parser = _Chart()
    parser.feed(html)
    return parser, html


def with_compute(rows, domain: str | None = None):
    return [r for r in rows if r["Training compute (FLOP)"] and float(r["Training compute (FLOP)"]) > 0
            and r["Publication date"] and (domain is None or domain in [d.strip() for d in r["Domain"].split(",")])]


def test_every_model_with_compute_is_a_linked_point(full_client, epoch_rows):
    parsed, _html = chart(full_client)
    expected = with_compute(epoch_rows)
    assert len(parsed.circles) == len(parsed.links) == len(expected)
    assert all(link.startswith("/resource/") and link.endswith(".html") for link in parsed.links)
    assert "/resource/AlexNet.html" in parsed.links


def test_points_sit_on_a_log_scale(full_client, epoch_rows):
    parsed, _html = chart(full_client)
    points = {link: float(c["cy"]) for link, c in zip(parsed.links, parsed.circles, strict=True)}
    flop = {r["Model"]: float(r["Training compute (FLOP)"]) for r in with_compute(epoch_rows)}
    # Higher compute is higher on the chart (a smaller y); a tenfold step is the same height everywhere.
    alexnet, transformer = points["/resource/AlexNet.html"], points["/resource/Transformer.html"]
    gpt4 = points["/resource/model-GPT-4.html"]
    assert gpt4 < transformer < alexnet
    import math

    per_decade_1 = (alexnet - transformer) / math.log10(flop["Transformer"] / flop["AlexNet"])
    per_decade_2 = (transformer - gpt4) / math.log10(flop["GPT-4"] / flop["Transformer"])
    assert per_decade_1 == pytest.approx(per_decade_2, rel=0.01)


def test_curated_milestones_are_marked_and_labelled_and_the_era_shaded(full_client):
    parsed, html = chart(full_client)
    marked = [link for link, c in zip(parsed.links, parsed.circles, strict=True) if "milestone" in c["class"]]
    assert {"/resource/AlexNet.html", "/resource/Transformer.html", "/resource/AlphaGo_Zero.html"} <= set(marked)
    assert "AlexNet" in parsed.texts and "Deep Learning Breakthrough" in parsed.texts
    assert re.search(r'<rect class="era" x="[\d.]+"', html)


@pytest.mark.parametrize("domain", ["Games", "Language"])
def test_a_domain_filter_keeps_that_domains_models(full_client, epoch_rows, domain):
    parsed, _html = chart(full_client, f"?domain=domain-{domain}")
    assert len(parsed.circles) == len(with_compute(epoch_rows, domain))


def test_the_csv_download_has_the_charts_rows_and_values(full_client, epoch_rows):
    response = full_client.get("/trends.csv?domain=domain-Games")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected = {r["Model"]: float(r["Training compute (FLOP)"]) for r in with_compute(epoch_rows, "Games")}
    assert len(rows) == len(expected)
    by_label = {r["label"]: float(r["compute"]) for r in rows}
    assert by_label["AlphaGo Zero"] == pytest.approx(expected["AlphaGo Zero"])


def test_the_query_shown_is_the_query_behind_the_chart(full_client, epoch_rows):
    _parsed, html = chart(full_client, "?metric=parameters")
    query = re.search(r'<pre class="sparql"[^>]*>(.*?)</pre>', html, re.DOTALL).group(1)
    import html as htmllib

    text = htmllib.unescape(query)
    answer = full_client.get("/sparql", query_string={"query": text},
                             headers={"Accept": "application/sparql-results+json"}).get_json()
    expected = [r for r in epoch_rows if r["Parameters"] and float(r["Parameters"]) > 0 and r["Publication date"]]
    assert len(answer["results"]["bindings"]) == len(expected)


@pytest.mark.parametrize("query", ["?metric=energy", "?domain=nothing-here", "?colour=red", "?country=%3Cbad%3E"])
def test_a_bad_filter_is_a_clear_400(full_client, query):
    response = full_client.get("/trends" + query)
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/trends", "/resource/AlexNet.html", "/resource/model-Llama_3_3.html", "/"])
def test_epochs_credit_line_is_on_the_pages(full_client, path):
    html = full_client.get(path).get_data(as_text=True)
    assert CREDIT in html
    assert 'href="https://epoch.ai/data/notable-ai-models"' in html


def test_a_model_page_shows_figures_with_units(full_client, epoch_rows):
    row = next(r for r in epoch_rows if r["Model"] == "AlexNet")
    import re

    html = full_client.get("/resource/AlexNet.html").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())  # the page as read: value and unit in their cells
    assert f"{number(float(row['Training compute (FLOP)']))} FLOP" in text  # 4.7 × 10¹⁷ FLOP
    assert "4.7 × 10¹⁷ FLOP" in text


@pytest.mark.parametrize(("value", "text"), [(4.7e17, "4.7 × 10¹⁷"), (6e7, "6 × 10⁷"), (0.52, "0.52"),
                                             (9551.59, "9,552"), (1.23e-5, "1.23 × 10⁻⁵")])
def test_numbers_read_as_people_write_them(value, text):
    assert number(value) == text


def test_points_written_once_link_from_where_the_app_is_served(full_client):
    # The marks and rows are kept per data version: one served under a prefix must not get another's links.
    plain, _ = chart(full_client, "?metric=parameters")
    response = full_client.get("/trends?metric=parameters", environ_overrides={"SCRIPT_NAME": "/kg"})
    prefixed = _Chart()
    prefixed.feed(response.get_data(as_text=True))
    ours = [h for h in plain.links if h.startswith("/resource/")]
    assert ours and [h for h in prefixed.links if h.startswith("/kg/resource/")] == ["/kg" + h for h in ours]
    again, _ = chart(full_client, "?metric=parameters")
    assert again.links == plain.links and again.circles == plain.circles

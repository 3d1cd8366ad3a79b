"""Trends of AI models: training compute or parameters against publication date, for the /trends page.

:func:`trends` runs one SPARQL query (the page shows it, and it is the whole answer: filters are written
into it) and returns the points, the curated milestones' models among them, the eras to shade and the
choices of each filter. :func:`plot` places the points on a log-scale chart as numbers only; the template
writes the SVG. Datasets that describe themselves with ``dcterms:rights`` (Epoch AI's) give the
attributions every page shows (:func:`attributions`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox

from aikg.errors import BadRequest
from aikg.graph.cache import per_version
from aikg.namespaces import DCTERMS, RESOURCE, sparql_prologue
from aikg.store import Solutions, Store, ask

METRICS = {
    "compute": ("trainingCompute", "Training compute", "FLOP"),
    "parameters": ("parameterCount", "Parameters", "parameters"),
}
#: Filters: the query parameter, the property that links a model to the value, and the class of the value.
FILTERS = {
    "domain": ("aikg:domain", "Domain"),
    "organisation": ("aikg:producedBy", "Organisation"),
    "country": ("aikg:countryOfOrigin", "Country"),
    "access": ("aikg:weightsAccess", "Weights"),
}
#: Choices offered per filter (the most frequent first); any value can still be asked for by its IRI.
MAX_CHOICES = 60


@dataclass(frozen=True)
class Point:
    """One model on the chart."""

    iri: str
    label: str
    date: str
    year: float  # the date as a fractional year, for the x axis
    value: float
    domain: str | None
    domain_label: str | None
    organisations: str
    milestone: str | None = None  # the label of a curated milestone about it (or about what it is a version of)


@dataclass(frozen=True)
class Choice:
    """A value a filter can take, with how many models of the chart have it."""

    iri: str
    label: str
    count: int


@dataclass
class Trends:
    """What the trends page shows."""

    metric: str
    metric_label: str
    unit: str
    points: list[Point]
    query: str
    selected: dict[str, str | None]
    choices: dict[str, list[Choice]] = field(default_factory=dict)
    eras: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Attribution:
    """A dataset in the graph that asks to be credited: its title, credit line and web address."""

    graph: str
    title: str
    rights: str
    source: str | None


def build_query(metric: str, selected: dict[str, str | None]) -> str:
    """Return the SPARQL query behind the chart: the models with the metric and a date, filtered."""
    prop = METRICS[metric][0]
    filters = "".join(f"\n  ?model {FILTERS[name][0]} <{value}> ." for name, value in selected.items() if value)
    return sparql_prologue() + f"""PREFIX dcterms: <http://purl.org/dc/terms/>

SELECT ?model ?label ?date ?value (SAMPLE(?d) AS ?domain) (SAMPLE(?dl) AS ?domainLabel)
       (GROUP_CONCAT(DISTINCT ?ol; separator="; ") AS ?organisations) (SAMPLE(?ml) AS ?milestone)
WHERE {{
  ?model aikg:{prop}/aikg:value ?value ;
         aikg:publicationDate ?date ;
         rdfs:label ?label .{filters}
  FILTER(LANG(?label) IN ("en", "") && ?value > 0)
  OPTIONAL {{ ?model aikg:domain ?d . ?d rdfs:label ?dl }}
  OPTIONAL {{ ?model aikg:producedBy/rdfs:label ?ol FILTER(LANG(?ol) IN ("en", "")) }}
  OPTIONAL {{ ?m a aikg:Milestone ; aikg:about ?thing ; rdfs:label ?ml . ?model dcterms:isVersionOf? ?thing }}
}}
GROUP BY ?model ?label ?date ?value
ORDER BY ?date ?label
"""


def trends(store: Store, metric: str = "compute", **given: str | None) -> Trends:
    """Return the chart's points for a metric and filters (each an IRI or a local name of the graph's)."""
    if metric not in METRICS:
        raise BadRequest(f"Unknown metric {metric!r}: use one of {', '.join(METRICS)}.")
    unknown = set(given) - set(FILTERS)
    if unknown:
        raise BadRequest(f"Unknown filter {', '.join(sorted(unknown))}: use {', '.join(FILTERS)}.")
    choices = _choices(store)
    selected: dict[str, str | None] = {}
    for name in FILTERS:
        raw = (given.get(name) or "").strip()
        if not raw:
            selected[name] = None
            continue
        iri = raw if raw.startswith(("http://", "https://")) else RESOURCE + raw
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise BadRequest(f"The {name} filter {raw!r} is not an IRI or a name of the graph.") from None
        if iri not in {c.iri for c in choices[name]} and not _links(store, FILTERS[name][0], iri):
            raise BadRequest(f"No model has {name} {raw!r}; pick one of the choices offered.")
        selected[name] = iri
    return _trends(store, metric, tuple(sorted((k, v) for k, v in selected.items() if v)))


def _links(store: Store, prop: str, iri: str) -> bool:
    return ask(store, sparql_prologue() + f"ASK {{ ?m {prop} ?v }}", v=ox.NamedNode(iri))


@per_version(size=256)  # filters make many keys; each answer is small
def _trends(store: Store, metric: str, selected: tuple[tuple[str, str], ...]) -> Trends:
    text = build_query(metric, dict(selected))
    result = store.query(text)
    assert isinstance(result, Solutions)
    points = []
    for row in result.dicts():
        try:
            value = float(row["value"].value)
        except ValueError:
            continue
        when = row["date"].value
        domain = row.get("domain")
        points.append(Point(
            iri=row["model"].value, label=row["label"].value, date=when, year=_fractional_year(when),
            value=value, domain=domain.value if domain is not None else None,
            domain_label=row["domainLabel"].value if row.get("domainLabel") is not None else None,
            organisations=row["organisations"].value if row.get("organisations") is not None else "",
            milestone=row["milestone"].value if row.get("milestone") is not None else None,
        ))
    name, unit = METRICS[metric][1], METRICS[metric][2]
    return Trends(metric, name, unit, points, text, {k: dict(selected).get(k) for k in FILTERS}, _choices(store),
                  _eras(store))


def _fractional_year(lexical: str) -> float:
    year = int(lexical[:4])
    if len(lexical) >= 10:
        try:
            day = date.fromisoformat(lexical[:10])
        except ValueError:
            return float(year)
        return year + (day.timetuple().tm_yday - 1) / 366
    if len(lexical) >= 7:
        return year + (int(lexical[5:7]) - 1) / 12
    return float(year)


@per_version
def _choices(store: Store) -> dict[str, list[Choice]]:
    """Return each filter's values with their counts of dated models, most frequent first."""
    out: dict[str, list[Choice]] = {}
    for name, (prop, _label) in FILTERS.items():
        result = store.query(sparql_prologue() + f"""
            SELECT ?v (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?m) AS ?n) WHERE {{
              ?m {prop} ?v ; aikg:publicationDate ?d . ?v rdfs:label ?l FILTER(LANG(?l) IN ("en", ""))
            }} GROUP BY ?v ORDER BY DESC(?n) ?label LIMIT {MAX_CHOICES}""")
        assert isinstance(result, Solutions)
        out[name] = [Choice(r["v"].value, r["label"].value, int(r["n"].value)) for r in result.dicts()]
    return out


@per_version
def _eras(store: Store) -> list[tuple[str, int, int]]:
    result = store.query(sparql_prologue() + """
        SELECT ?label ?start ?end WHERE { ?e a aikg:Era ; rdfs:label ?label ; aikg:startYear ?start ;
          aikg:endYear ?end FILTER(LANG(?label) IN ("en", "")) } ORDER BY ?start""")
    assert isinstance(result, Solutions)
    return [(r["label"].value, int(r["start"].value), int(r["end"].value)) for r in result.dicts()]


@per_version
def attributions(store: Store) -> list[Attribution]:
    """Return the datasets of the graph that carry a credit line (dcterms:rights), such as Epoch AI's."""
    result = store.query(f"""
        SELECT ?g (SAMPLE(?t) AS ?title) (SAMPLE(?r) AS ?rights) (SAMPLE(?s) AS ?source) WHERE {{
          ?g <{DCTERMS}rights> ?r ; <{DCTERMS}title> ?t .
          OPTIONAL {{ ?g <{DCTERMS}source> ?s FILTER(isIRI(?s)) }}
          FILTER(isIRI(?g))
        }} GROUP BY ?g ORDER BY ?g""")
    assert isinstance(result, Solutions)
    return [Attribution(r["g"].value, r["title"].value, r["rights"].value,
                        r["source"].value if r.get("source") is not None else None) for r in result.dicts()]


# -------------------------------------------------------------------------------------------------- plotting


@dataclass(frozen=True)
class Placed:
    """A point placed on the chart."""

    point: Point
    x: float
    y: float
    colour: int  # index into the palette, by domain


@dataclass
class Chart:
    """The placed points, the axes' ticks and the shaded eras, in SVG user units."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    placed: list[Placed]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    eras: list[tuple[float, float, str]]
    legend: list[tuple[int, str, int]]  # palette index, domain label, count


PALETTE_SIZE = 8
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def plot(t: Trends, width: int = 920, height: int = 520) -> Chart:
    """Place the points: x the publication date, y the log10 of the metric; colour by domain."""
    left, top, right, bottom = 70, 20, width - 20, height - 40
    if t.points:
        first = math.floor(min(p.year for p in t.points) / 5) * 5
        last = math.ceil(max(p.year for p in t.points) / 5) * 5 + (1 if max(p.year for p in t.points) % 5 == 0 else 0)
        low = math.floor(math.log10(min(p.value for p in t.points)))
        high = math.ceil(math.log10(max(p.value for p in t.points)))
    else:
        first, last, low, high = 1950, 2025, 0, 1
    high = max(high, low + 1)
    last = max(last, first + 5)

    def x(year: float) -> float:
        return round(left + (year - first) / (last - first) * (right - left), 1)

    def y(value: float) -> float:
        return round(bottom - (math.log10(value) - low) / (high - low) * (bottom - top), 1)

    domains = Counter(p.domain_label or "other" for p in t.points)
    ranked = [d for d, _n in domains.most_common()]
    colour = {d: min(i, PALETTE_SIZE - 1) for i, d in enumerate(ranked)}
    legend = [(colour[d], d if colour[d] < PALETTE_SIZE - 1 else "other domains", n)
              for d, n in domains.most_common() if colour[d] < PALETTE_SIZE - 1]
    rest = sum(n for d, n in domains.items() if colour[d] == PALETTE_SIZE - 1)
    if rest:
        legend.append((PALETTE_SIZE - 1, "other domains", rest))
    placed = [Placed(p, x(p.year), y(p.value), colour[p.domain_label or "other"]) for p in t.points]
    step = 10 if last - first > 40 else 5
    x_ticks = [(x(float(year)), str(year)) for year in range(first, last + 1, step)]
    every = 1 if high - low <= 14 else 2
    y_ticks = [(y(10.0 ** e), "10" + str(e).translate(_SUPERSCRIPTS)) for e in range(low, high + 1, every)]
    eras = [(x(float(max(start, first))), x(float(min(end + 1, last))), label)
            for label, start, end in t.eras if end >= first and start <= last]
    return Chart(width, height, left, top, right, bottom, placed, x_ticks, y_ticks, eras, legend)


def number(value: float) -> str:
    """Write a large or small number as 4.7 × 10¹⁷, others with at most four significant digits."""
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        mantissa, exponent = f"{value:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"
    return f"{float(f'{value:.4g}'):,}".removesuffix(".0")

"""SHACL validation of data files against the shapes, with the ontology as background, and its report.

pyshacl runs with the ontology as ``ont_graph`` and inference "none": the ontology's rdfs:subClassOf
triples give SHACL the class hierarchy (a Paper is an Artefact), while RDFS inference would derive types
from rdfs:range and rdfs:domain and so make every range check pass. ``advanced`` is on for the SPARQL
targets of the cross-resource rules (see shapes/aikg-shapes.ttl). Warnings and infos are reported but
only violations make data non-conforming.

Files are parsed once, with pyoxigraph (its syntax errors carry the line and column). The "fast" engine
hands the same triples to the compiled `shacl` validator; both engines' SHACL report graphs are read by
the same code, so a report looks the same whichever engine made it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from aikg.errors import BadRequest, InvalidData
from aikg.ingest.files import read_triples
from aikg.namespaces import PREFIXES, SH, curie

SHAPES_NS = "https://w3id.org/ai-history/shapes/"
#: The prefixes used to show IRIs in reports: the shared map, plus the shapes' and SHACL's own.
REPORT_PREFIXES = {**PREFIXES, "aikgsh": SHAPES_NS, "sh": SH}
SEVERITIES = ("Violation", "Warning", "Info")
ENGINES = ("pyshacl", "fast")

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_SHN = rdflib.Namespace(SH)


@dataclass(frozen=True)
class Result:
    """One SHACL validation result, with IRIs in full (``curie`` shortens them for display)."""

    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str | None
    component: str
    focus_label: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """Return the result as a JSON-ready mapping."""
        return asdict(self)


@dataclass
class Report:
    """The outcome of a validation: conforming unless a result is a violation."""

    conforms: bool
    results: list[Result] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    triples: int = 0
    graph: rdflib.Graph | None = field(default=None, repr=False, compare=False)

    @property
    def counts(self) -> dict[str, int]:
        """Return how many results there are of each severity."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for r in self.results:
            counts[r.severity] = counts.get(r.severity, 0) + 1
        return counts

    @property
    def violations(self) -> list[Result]:
        """Return the results that make the data non-conforming."""
        return [r for r in self.results if r.severity == "Violation"]

    def summary(self) -> str:
        """Return one line: conforms or not, and the counts."""
        c = self.counts
        parts = [_plural(c["Violation"], "violation"), _plural(c["Warning"], "warning"), _plural(c["Info"], "info")]
        verdict = "conforms to the shapes" if self.conforms else "does not conform to the shapes"
        where = f"{_plural(len(self.files), 'file')}, {_plural(self.triples, 'triple')}"
        return f"The data ({where}) {verdict}: {', '.join(parts)}."

    def text(self) -> str:
        """Return the report for a person: results grouped by resource, IRIs as CURIEs."""
        lines = [self.summary()]
        groups: dict[str, list[Result]] = {}
        for r in self.results:
            groups.setdefault(r.focus, []).append(r)

        def rank(item: tuple[str, list[Result]]) -> tuple[int, str]:
            return min(SEVERITIES.index(r.severity) for r in item[1]), _show(item[0])

        for focus, results in sorted(groups.items(), key=rank):
            head = _show(focus)
            if results[0].focus_label:
                head += f"  {results[0].focus_label}"
            lines += ["", head]
            for r in sorted(results, key=lambda r: (SEVERITIES.index(r.severity), r.path or "", r.message)):
                where = _show(r.path) if r.path else "(the resource itself)"
                lines.append(f"  {r.severity:<9} {where}: {r.message}")
                if r.value is not None:
                    lines.append(f"            value: {_show_term(r.value)}")
                shape = f", shape {_show(r.shape)}" if r.shape and not r.shape.startswith("_:") else ""
                lines.append(f"            ({_show(r.component)}{shape})")
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """Return the report as JSON: conforms, counts, files and every result with full IRIs."""
        body = {
            "conforms": self.conforms,
            "counts": self.counts,
            "files": self.files,
            "triples": self.triples,
            "results": [r.to_dict() for r in self.results],
        }
        return json.dumps(body, ensure_ascii=False, indent=2) + "\n"

    def to_turtle(self) -> str:
        """Return the SHACL validation report graph in Turtle."""
        graph = self.graph if self.graph is not None else rdflib.Graph()
        for prefix, ns in REPORT_PREFIXES.items():
            graph.bind(prefix, ns, override=True)
        return graph.serialize(format="turtle")


def load_graph(paths: Sequence[Path]) -> rdflib.Graph:
    """Parse RDF files into one rdflib graph; a syntax error names the file, line and column."""
    return _rdflib_graph(read_triples(paths))


def validate(
    data: Sequence[Path], shapes: Sequence[Path], ontology: Sequence[Path] = (), *, engine: str = "pyshacl"
) -> Report:
    """Validate data files against shapes files, with the ontology's class hierarchy as background.

    `engine` is "pyshacl" (the reference) or "fast" (the compiled `shacl` validator, which gave the same
    results on every fixture of tests/fixtures/invalid/).
    """
    if engine not in ENGINES:
        raise BadRequest(f"Unknown validation engine {engine!r}: use one of {', '.join(ENGINES)}.")
    return validate_triples(
        read_triples(data), read_triples(shapes), read_triples(ontology), files=data, engine=engine
    )


def validate_triples(
    data: list[ox.Triple],
    shapes: list[ox.Triple],
    ontology: list[ox.Triple],
    *,
    files: Sequence[Path | str] = (),
    engine: str = "pyshacl",
) -> Report:
    """Validate triples already parsed (the same ones the store gets) against the shapes' triples."""
    if engine not in ENGINES:
        raise BadRequest(f"Unknown validation engine {engine!r}: use one of {', '.join(ENGINES)}.")
    if engine == "fast":
        results_graph = _run_fast(data, shapes, ontology)
        names = _rdflib_graph(t for t in data if _worth_keeping(t))
    else:
        names = _rdflib_graph(data)  # pyshacl copies it before adding the ontology
        results_graph = _run_pyshacl(names, shapes, ontology)
    results = read_results(results_graph, names)
    return Report(
        conforms=not any(r.severity == "Violation" for r in results),
        results=results,
        files=[str(p) for p in files],
        triples=len(set(data)),
        graph=results_graph,
    )


def _run_pyshacl(data: rdflib.Graph, shapes: list[ox.Triple], ontology: list[ox.Triple]) -> rdflib.Graph:
    from pyshacl import validate as shacl_validate

    with _quiet_literals():
        _conforms, results_graph, _text = shacl_validate(
            data,
            shacl_graph=_rdflib_graph(shapes),
            ont_graph=_rdflib_graph(ontology) if ontology else None,
            inference="none",
            advanced=True,
            allow_warnings=True,
        )
    return results_graph


def _run_fast(data: list[ox.Triple], shapes: list[ox.Triple], ontology: list[ox.Triple]) -> rdflib.Graph:
    """Validate with the compiled `shacl` engine; the ontology is added to the data, as pyshacl's ont_graph is."""
    compiled = _compiled_shapes(_ntriples(shapes))
    report = compiled.validate_text(_ntriples(data + ontology), format="ntriples", allow_warnings=True)
    return rdflib.Graph().parse(data=report.serialize("ntriples"), format="nt")


@lru_cache(maxsize=4)
def _compiled_shapes(text: str) -> Any:
    import shacl

    return shacl.Shapes.from_text(text, format="ntriples")


def _ntriples(triples: Iterable[ox.Triple]) -> str:
    return (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode()


def _worth_keeping(triple: ox.Triple) -> bool:
    """Keep what the report's names need: labels and types, and the links to blank nodes."""
    return triple.predicate.value in _NAMING or isinstance(triple.object, ox.BlankNode)


_NAMING = {str(RDFS.label), str(RDF.type)}


def _rdflib_graph(triples: Iterable[ox.Triple]) -> rdflib.Graph:
    graph = rdflib.Graph()
    add = graph.add
    with _quiet_literals():
        for t in triples:
            add((_node(t.subject), URIRef(t.predicate.value), _node(t.object)))
    return graph


def check(
    data: Sequence[Path], shapes: Sequence[Path], ontology: Sequence[Path] = (), *, engine: str = "pyshacl"
) -> Report:
    """Validate, and raise :class:`InvalidData` with the report when a result is a violation."""
    return refuse_violations(validate(data, shapes, ontology, engine=engine))


def refuse_violations(report: Report) -> Report:
    """Return a report without violations; raise :class:`InvalidData` with it otherwise."""
    if not report.conforms:
        n = report.counts["Violation"]
        raise InvalidData(
            f"The data does not conform to the shapes: {_plural(n, 'violation')} (run `aikg validate` for the report).",
            report=report,
            details=report.counts,
        )
    return report


def read_results(results_graph: rdflib.Graph, data_graph: rdflib.Graph) -> list[Result]:
    """Read the results out of a SHACL validation report graph, ordered by severity, resource and path."""
    out = []
    # Only the report's own results: nested sh:detail results (from sh:node) repeat what their parent says.
    for report in results_graph.subjects(RDF.type, _SHN.ValidationReport):
        out += _results_of(results_graph, report, data_graph)
    out.sort(key=lambda r: (SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9, r.focus, r.path or ""))
    return out


def _results_of(results_graph: rdflib.Graph, report: Node, data_graph: rdflib.Graph) -> list[Result]:
    out = []
    for node in results_graph.objects(report, _SHN.result):
        focus = results_graph.value(node, _SHN.focusNode)
        path = results_graph.value(node, _SHN.resultPath)
        value = results_graph.value(node, _SHN.value)
        shape = results_graph.value(node, _SHN.sourceShape)
        severity = results_graph.value(node, _SHN.resultSeverity)
        messages = sorted(str(m) for m in results_graph.objects(node, _SHN.resultMessage))
        out.append(
            Result(
                severity=str(severity).removeprefix(SH) if severity is not None else "Violation",
                focus=_id(focus),
                path=_path(results_graph, path) if path is not None else None,
                value=value.n3() if value is not None else None,
                message=" ".join(messages) or "(no message)",
                shape=_id(shape) if shape is not None else None,
                component=str(results_graph.value(node, _SHN.sourceConstraintComponent)),
                focus_label=_describe(data_graph, focus),
            )
        )
    return out


def _id(node: Node | None) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


_PATH_FORMS = {_SHN.zeroOrMorePath: "*", _SHN.oneOrMorePath: "+", _SHN.zeroOrOnePath: "?"}


def _path(graph: rdflib.Graph, node: Node) -> str:
    """Render a SHACL property path: a predicate IRI as is, a complex path in SPARQL syntax with CURIEs."""
    if isinstance(node, URIRef):
        return str(node)
    return _path_text(graph, node)


def _path_text(graph: rdflib.Graph, node: Node) -> str:
    if isinstance(node, URIRef):
        return curie(str(node), REPORT_PREFIXES)
    if graph.value(node, RDF.first) is not None:
        return "/".join(_path_text(graph, n) for n in Collection(graph, node))
    alternatives = graph.value(node, _SHN.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path_text(graph, n) for n in Collection(graph, alternatives)) + ")"
    inverse = graph.value(node, _SHN.inversePath)
    if inverse is not None:
        return "^" + _path_text(graph, inverse)
    for predicate, suffix in _PATH_FORMS.items():
        inner = graph.value(node, predicate)
        if inner is not None:
            return f"({_path_text(graph, inner)}){suffix}"
    return str(node)


def _describe(graph: rdflib.Graph, node: Node | None) -> str | None:
    """Name a focus node for a person: its English label and class, or how a blank node is reached."""
    if isinstance(node, BNode):
        for subject, predicate in graph.subject_predicates(node):
            return f"(a blank node: the {_show(str(predicate))} of {_show(_id(subject))})"
        return "(a blank node)"
    labels = sorted(graph.objects(node, RDFS.label), key=lambda lit: (getattr(lit, "language", None) != "en", str(lit)))
    types = sorted(_show(str(t)) for t in graph.objects(node, RDF.type))
    parts = []
    if labels:
        parts.append(f'"{labels[0]}"')
    if types:
        parts.append(f"({', '.join(types)})")
    return " ".join(parts) or None


def _show(iri: str) -> str:
    return curie(iri, REPORT_PREFIXES)


def _show_term(n3: str) -> str:
    """Shorten the IRIs in an N-Triples term for display (a literal keeps its quotes)."""
    if n3.startswith("<") and n3.endswith(">"):
        return _show(n3[1:-1])
    head, sep, datatype = n3.rpartition("^^")
    if sep and datatype.startswith("<") and datatype.endswith(">"):
        return f"{head}^^{_show(datatype[1:-1])}"
    return n3


def _node(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        # rdflib's own parsers give a plain literal no datatype; SHACL's sh:in and sh:hasValue compare that way.
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
    raise InvalidData(f"unsupported RDF term {term!r} (RDF 1.2 triple terms are not used in aikg data)")


@contextmanager
def _quiet_literals() -> Iterator[None]:
    """Silence rdflib's log lines for ill-typed literals (such as "2016-02-30"^^xsd:date): SHACL reports them."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"

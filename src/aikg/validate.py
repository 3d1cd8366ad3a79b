"""SHACL validation of data files against the shapes, with the ontology as background.

(First cut: the knowledge-graph issue replaces the report with a grouped, curator-readable one.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from pyshacl import validate as shacl_validate

from aikg.errors import InvalidData


@dataclass
class Report:
    """The outcome of a validation."""

    conforms: bool
    text: str
    results: list[dict[str, str]] = field(default_factory=list)


def _graph(paths: Sequence[Path]) -> rdflib.Graph:
    g = rdflib.Graph()
    for p in paths:
        try:
            g.parse(p)
        except Exception as e:  # rdflib raises many parser-specific types
            raise InvalidData(f"{p}: does not parse: {e}") from None
    return g


def validate(data: Sequence[Path], shapes: Sequence[Path], ontology: Sequence[Path] = ()) -> Report:
    """Validate data files against shapes files, with the ontology's class hierarchy."""
    conforms, _graph_out, text = shacl_validate(
        _graph(data), shacl_graph=_graph(shapes), ont_graph=_graph(ontology) if ontology else None,
        inference="none", allow_warnings=True,
    )
    return Report(bool(conforms), str(text))


def check(data: Sequence[Path], shapes: Sequence[Path], ontology: Sequence[Path] = ()) -> Report:
    """Validate, and raise :class:`InvalidData` with the report when the data does not conform."""
    report = validate(data, shapes, ontology)
    if not report.conforms:
        raise InvalidData("The data does not conform to the shapes.", report=report)
    return report

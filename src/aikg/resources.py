"""Where the shipped ontology, shapes and data live, in a checkout or in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
# In a checkout (editable install) the files sit at the repository's top level; a wheel carries
# copies under aikg/shipped/ (see [tool.hatch.build] in pyproject.toml).
_ROOTS = (_PACKAGE.parent.parent, _PACKAGE / "shipped")


def shipped(name: str) -> Path:
    """Return the path of a shipped folder or file: 'ontology', 'shapes' or 'data'."""
    for root in _ROOTS:
        candidate = root / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"aikg cannot find its shipped {name!r} (looked in {', '.join(map(str, _ROOTS))})")


def rdf_files(folder: Path, *, recursive: bool = False) -> list[Path]:
    """Return the RDF files of a folder (and its subfolders, if asked), sorted by path."""
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.suffix in RDF_SUFFIXES and p.is_file() and not p.name.startswith("."))


def default_data() -> list[Path]:
    """Return the shipped data files: every era is a file in data/, each imported dataset a file in a subfolder
    (data/epoch/notable-ai-models.ttl); each file is its own named graph."""
    return rdf_files(shipped("data"), recursive=True)


def default_ontology() -> list[Path]:
    """Return the shipped ontology files."""
    return rdf_files(shipped("ontology"))


def default_shapes() -> list[Path]:
    """Return the shipped SHACL shapes files."""
    return rdf_files(shipped("shapes"))


RDF_SUFFIXES = {".ttl", ".nt", ".nq", ".trig", ".rdf", ".owl", ".xml", ".jsonld", ".n3"}

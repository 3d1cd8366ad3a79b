"""How to cite a resource page: a reference line, BibTeX and CSL-JSON, each naming the data version."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

#: Who publishes the pages, and what the work is called in a citation.
PUBLISHER = "The aikg project"
CONTAINER = "aikg: a knowledge graph of the history of AI"

_BIBTEX_SPECIAL = re.compile(r"([\\{}%&$#_^~])")
_KEY = re.compile(r"[^A-Za-z0-9_:-]+")


@dataclass(frozen=True)
class Citation:
    """One resource cited three ways."""

    text: str
    bibtex: str
    csl_json: str
    version: str
    date: str  # ISO date of the data version, or ""


def _bibtex_escape(text: str) -> str:
    """Escape the characters BibTeX treats specially, so a label cannot break out of its field."""
    return _BIBTEX_SPECIAL.sub(lambda m: "\\" + m.group(1) if m.group(1) != "\\" else r"\textbackslash{}", text)


def _date(modified: str) -> datetime | None:
    try:
        return datetime.fromisoformat(modified) if modified else None
    except ValueError:
        return None


def cite(iri: str, label: str, kind: str, version: str, modified: str) -> Citation:
    """Cite the page of `iri`: its label, its kind ("person"), and the data version it shows."""
    when = _date(modified)
    day = when.date().isoformat() if when else ""
    key = "aikg:" + (_KEY.sub("_", iri.rstrip("/").rsplit("/", 1)[-1])[:60] or "resource")
    version_note = f"data version {version}" + (f" of {day}" if day else "")
    text = f"{PUBLISHER}. “{label}” ({kind}). {CONTAINER}, {version_note}. {iri}"
    fields = [
        ("title", "{" + _bibtex_escape(label) + "}"),
        ("author", "{" + _bibtex_escape(PUBLISHER) + "}"),
        ("howpublished", "{" + _bibtex_escape(CONTAINER) + "}"),
        ("url", "{" + iri.replace("}", "%7D").replace("{", "%7B") + "}"),
        ("version", "{" + _bibtex_escape(version) + "}"),
    ]
    if when:
        fields.append(("year", "{" + str(when.year) + "}"))
        fields.append(("date", "{" + day + "}"))
    fields.append(("note", "{" + _bibtex_escape(f"{kind.capitalize()}, {version_note}") + "}"))
    bibtex = "@misc{" + key + ",\n" + ",\n".join(f"  {k:<12} = {v}" for k, v in fields) + "\n}"
    csl: dict[str, object] = {
        "id": key,
        "type": "entry-encyclopedia",
        "title": label,
        "author": [{"literal": PUBLISHER}],
        "container-title": CONTAINER,
        "publisher": PUBLISHER,
        "URL": iri,
        "version": version,
        "genre": kind,
    }
    if when:
        csl["issued"] = {"date-parts": [[when.year, when.month, when.day]]}
    return Citation(text, bibtex, json.dumps([csl], ensure_ascii=False, indent=2), version, day)

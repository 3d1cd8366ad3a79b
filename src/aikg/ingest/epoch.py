"""Import Epoch AI's "Notable AI Models" CSV as RDF: one named graph, reconciled with the curated graph.

The header is read by name, never by position: :data:`COLUMNS` maps each column the importer knows (by its
current name and the names it has had or may take) to what it becomes in the ontology. A known column that
is missing is reported (or, for a required one, refused with the columns found); a column the importer does
not know is named in the summary as not imported; ``Abstract`` and every ``… notes`` column are never read
(they are other people's sentences). A cell that does not parse is reported with its line, column and value
and left out; the rest of its row is kept.

Every model, organisation, person, hardware and dataset name goes through :class:`Resolver`: a decision in
``data/epoch/reconciliation.csv`` first (a person reviewed it: same resource, a version of one, or distinct),
else an automatic match on the normalised label and the class of a curated resource when exactly one fits,
else a new resource in the ``aikgr:`` namespace whose slug starts with its kind (``model-``, ``org-``,
``person-``…), which no curated slug does. Ambiguous names are reported, never guessed.

The output is canonical Turtle: subjects, predicates and objects sorted, no timestamps, so the same CSV (with
the same curated graph and decisions) gives the same bytes. The graph describes itself as a DCAT dataset
derived from the snapshot (its SHA-256, size and date), with Epoch AI as publisher and CC BY 4.0 as licence.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from aikg import __version__
from aikg.errors import BadRequest, InvalidData
from aikg.namespaces import DCTERMS, ONTOLOGY, PROV, RDF, RDFS, RESOURCE, SKOS, XSD

#: Bumped when the same CSV would give different triples.
IMPORTER_VERSION = "1"

EPOCH_DATASET = "https://epoch.ai/data/notable-ai-models"
EPOCH_TITLE = "Data on Notable AI Models"
ATTRIBUTION = "Data: Epoch AI (epochai.org), CC BY 4.0"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
SOURCE = "https://w3id.org/ai-history/source/"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
VOID = "http://rdfs.org/ns/void#"
UNIT = "http://qudt.org/vocab/unit/"
QUDT = "http://qudt.org/schema/qudt/"
A = ONTOLOGY

PREFIXES = {
    "aikg": ONTOLOGY, "aikgr": RESOURCE, "src": SOURCE, "epoch": "https://epoch.ai/data/", "rdf": RDF,
    "rdfs": RDFS, "xsd": XSD, "skos": SKOS, "dcterms": DCTERMS, "dcat": DCAT, "prov": PROV, "spdx": SPDX,
    "void": VOID, "unit": UNIT, "qudt": QUDT,
}

# ----------------------------------------------------------------------------------------------------------
# The columns
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column the importer knows: Epoch's names for it (current first), how its cells parse, and whether a
    file without it is refused. `pattern` matches names with a variable part (the year of the cost's dollars)."""

    key: str
    names: tuple[str, ...]
    kind: str
    required: bool = False
    pattern: str | None = None


COLUMNS: tuple[Column, ...] = (
    Column("model", ("Model", "System", "Model name", "Name"), "name", required=True),
    Column("date", ("Publication date", "Date", "Release date", "Publication Date"), "date", required=True),
    Column("domain", ("Domain", "Domains"), "concepts"),
    Column("task", ("Task", "Tasks"), "concepts"),
    Column("organisation", ("Organization", "Organisation", "Organizations", "Organisations"), "names"),
    Column("org_category", ("Organization categorization", "Organisation categorisation",
                            "Organization categorization (from Organization)", "Organization type"), "concepts"),
    Column("country", ("Country (from Organization)", "Country (of organization)", "Country", "Countries"), "names"),
    Column("authors", ("Authors", "Author(s)", "Author"), "persons"),
    Column("reference", ("Reference", "Title"), "text"),
    Column("link", ("Link", "Links", "URL"), "links"),
    Column("citations", ("Citations", "Citation count"), "number"),
    Column("notability", ("Notability criteria", "Notability"), "concepts"),
    Column("parameters", ("Parameters", "Parameter count", "Parameters (count)"), "number"),
    Column("training_compute", ("Training compute (FLOP)", "Training compute (FLOPs)", "Training compute"), "number"),
    Column("dataset", ("Training dataset", "Training datasets"), "names"),
    Column("dataset_size", ("Training dataset size (datapoints)", "Training dataset size (total)",
                            "Training dataset size", "Dataset size"), "number"),
    Column("epochs", ("Epochs", "Training epochs"), "number"),
    Column("training_time", ("Training time (hours)", "Training time"), "number"),
    Column("hardware", ("Training hardware", "Hardware"), "names"),
    Column("hardware_quantity", ("Hardware quantity", "Training hardware quantity", "Number of chips"), "number"),
    Column("utilisation", ("Hardware utilization", "Hardware utilisation", "Hardware utilization (MFU)",
                           "Model FLOP utilization"), "fraction"),
    Column("cost", ("Training compute cost (2023 USD)", "Training compute cost", "Training cost"), "number",
           pattern=r"training (compute )?cost \((?P<year>\d{4}) (?P<currency>[A-Z]{3})\)"),
    Column("confidence", ("Confidence",), "concepts"),
    Column("base_model", ("Base model", "Base models"), "names"),
    Column("finetune_compute", ("Finetune compute (FLOP)", "Fine-tune compute (FLOP)", "Fine-tuning compute (FLOP)",
                                "Finetune compute"), "number"),
    Column("batch_size", ("Batch size",), "number"),
    Column("weights_access", ("Model accessibility", "Accessibility", "Weights accessibility"), "concepts"),
    Column("training_code", ("Training code accessibility",), "concepts"),
    Column("inference_code", ("Inference code accessibility",), "concepts"),
    Column("frontier", ("Frontier model", "Frontier"), "boolean"),
    Column("power_draw", ("Training power draw (W)", "Power draw (W)", "Training power draw"), "number"),
)
_BY_KEY = {c.key: c for c in COLUMNS}

#: Columns never imported, whatever the release: the papers' abstracts and Epoch's free-text reasoning.
_EXCLUDED = re.compile(r"^(abstract|.*\bnotes?)$", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    """How a numeric column becomes a measurement: the property, its metric, unit and label."""

    key: str
    prop: str
    metric: str
    unit: str
    label: str
    confidence: bool = False  # Epoch's Confidence column rates compute, parameters and data size


FIGURES: tuple[Figure, ...] = (
    Figure("training_compute", "trainingCompute", "metric-training-compute", A + "FLOP", "training compute", True),
    Figure("parameters", "parameterCount", "Number_of_parameters", UNIT + "NUM", "parameters", True),
    Figure("dataset_size", "trainingDataSize", "metric-training-data-size", UNIT + "NUM", "training-data size",
           True),
    Figure("epochs", "epochs", "metric-epochs", UNIT + "NUM", "epochs"),
    Figure("training_time", "trainingTime", "Training_duration", UNIT + "HR", "training time"),
    Figure("hardware_quantity", "hardwareQuantity", "metric-hardware-quantity", UNIT + "NUM", "hardware quantity"),
    Figure("utilisation", "hardwareUtilisation", "metric-hardware-utilisation", UNIT + "FRACTION",
           "hardware utilisation"),
    Figure("power_draw", "trainingPowerDraw", "metric-training-power-draw", UNIT + "W", "training power draw"),
    Figure("finetune_compute", "fineTuningCompute", "metric-fine-tuning-compute", A + "FLOP", "fine-tuning compute"),
    Figure("batch_size", "batchSize", "metric-batch-size", UNIT + "NUM", "batch size"),
    Figure("citations", "citationCount", "metric-citations", UNIT + "NUM", "citations"),
)

#: Metrics the import defines (those the curated graph already has are reused): label and our definition.
METRICS = {
    "metric-training-compute": ("training compute", "The floating-point operations spent training a model, "
                                "as Epoch AI counts or estimates them."),
    "metric-training-data-size": ("training-data size", "How many data points (tokens, images, examples…) a "
                                  "model was trained on, in the unit Epoch AI uses for its domain."),
    "metric-epochs": ("epochs", "How many passes over its training data a model's training made."),
    "metric-hardware-quantity": ("hardware quantity", "How many processors (GPUs, TPUs or other chips) trained "
                                 "a model together."),
    "metric-hardware-utilisation": ("hardware utilisation", "The share of the processors' peak arithmetic "
                                    "throughput that a training run achieved, as a fraction of one."),
    "metric-training-power-draw": ("training power draw", "The electrical power that a model's training "
                                   "hardware drew, as Epoch AI estimates it."),
    "metric-fine-tuning-compute": ("fine-tuning compute", "The floating-point operations spent fine-tuning a "
                                   "model from its base model."),
    "metric-batch-size": ("batch size", "How many data points a training step processed."),
    "metric-citations": ("citations", "How many times the publication that introduced a model had been cited "
                         "when Epoch AI recorded it."),
}

#: The unit IRIs the figures use that the curated graph may not label.
UNIT_LABELS = {UNIT + "NUM": "count", UNIT + "HR": "hour", UNIT + "W": "watt", UNIT + "FRACTION": "fraction"}

#: Concept columns: the concept scheme and the slug prefix of their values, the property, and the class.
SCHEMES = {
    "domain": ("epoch-domains", "domain", "domain", "Domain", "Domains of AI models (Epoch AI)"),
    "task": ("epoch-tasks", "task", "task", "Task", "Tasks of AI models (Epoch AI)"),
    "notability": ("epoch-notability-criteria", "notability", "notabilityCriterion", "NotabilityCriterion",
                   "Notability criteria of AI models (Epoch AI)"),
    "weights_access": ("epoch-weights-access", "weightsaccess", "weightsAccess", "AccessLevel",
                       "Accessibility of model weights (Epoch AI)"),
    "training_code": ("epoch-training-code-access", "trainingcode", "trainingCodeAccess", "AccessLevel",
                      "Accessibility of training code (Epoch AI)"),
    "inference_code": ("epoch-inference-code-access", "inferencecode", "inferenceCodeAccess", "AccessLevel",
                       "Accessibility of inference code (Epoch AI)"),
    "confidence": ("epoch-confidence", "confidence", "confidence", "ConfidenceLevel",
                   "Confidence levels of Epoch AI's estimates"),
    "org_category": ("epoch-organisation-categories", "orgtype", "organisationCategory", "OrganisationCategory",
                     "Categories of organisations (Epoch AI)"),
}

#: Values that stand for "no value": skipped and counted.
_PLACEHOLDERS = {"dataset": {"unspecified unreleased", "unknown", "unspecified"}}
#: Slug prefix and class of each kind of named thing.
KINDS = {
    "model": ("model", "Model"), "organisation": ("org", "Organisation"), "person": ("person", "Person"),
    "hardware": ("hardware", "Hardware"), "dataset": ("dataset", "Dataset"), "country": ("country", "Place"),
}
_DECISIONS = ("same", "version-of", "distinct")

# ----------------------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A cell (or row) left out, with where it is and why."""

    line: int
    column: str
    value: str
    reason: str

    def text(self) -> str:
        """Return the refusal as one line."""
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"line {self.line}, column {self.column!r}, value {shown!r}: {self.reason}"


@dataclass(frozen=True)
class Match:
    """How one Epoch name landed on a resource: by a reviewed decision, automatically, or as a new one."""

    kind: str
    name: str
    iri: str
    how: str  # "decision", "auto", "new", "version-of", "distinct"
    note: str = ""


@dataclass
class Summary:
    """What an import read, wrote, refused and could not decide."""

    source: str
    sha256: str
    rows_read: int = 0
    models_written: int = 0
    triples: int = 0
    facts: Counter[str] = field(default_factory=Counter)
    refused: list[Refused] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)  # unknown columns
    excluded: list[str] = field(default_factory=list)  # never imported by design
    absent: list[str] = field(default_factory=list)  # known optional columns the file does not have
    ambiguous: list[Match] = field(default_factory=list)
    reconciled: list[Match] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # decided targets the curated graph does not describe yet
    placeholders: Counter[str] = field(default_factory=Counter)
    skipped_authors: Counter[str] = field(default_factory=Counter)
    unpaired_rows: int = 0  # rows whose categories or countries could not be paired with organisations
    base_models_by_name: list[str] = field(default_factory=list)
    snapshot_date: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # key -> header as in the file

    def text(self) -> str:
        """Return the summary for a person, in sections."""
        out = [
            f"Read {self.rows_read} rows from {self.source} (sha256 {self.sha256[:16]}…); wrote "
            f"{self.models_written} models, {self.triples} triples.",
            f"Snapshot date: {self.snapshot_date or 'unknown (give --snapshot-date)'}.",
            "Facts written per column:",
        ]
        width = max((len(h) for h in self.columns.values()), default=10)
        for _key, header in sorted(self.columns.items(), key=lambda kv: _column_order(kv[0])):
            out.append(f"  {header:<{width}}  {self.facts.get(header, 0):>6}")
        refused_rows = [r for r in self.refused if r.column == "(row)"]
        cells = [r for r in self.refused if r.column != "(row)"]
        out.append(f"Rows refused: {len(refused_rows)}.")
        out += [f"  {r.text()}" for r in refused_rows]
        out.append(f"Cells refused: {len(cells)}.")
        reasons = Counter(r.reason.split(":")[0] for r in cells)
        out += [f"  {n} × {reason}" for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))]
        out += [f"  {r.text()}" for r in cells]
        out.append("Columns not imported (unknown to the importer): " + (", ".join(self.not_imported) or "none") + ".")
        out.append("Columns never imported (abstracts and notes): " + (", ".join(self.excluded) or "none") + ".")
        out.append("Known columns absent from this file: " + (", ".join(self.absent) or "none") + ".")
        if self.placeholders:
            out.append("Placeholder values skipped: " + ", ".join(f"{v!r} × {n}" for v, n in
                                                                  sorted(self.placeholders.items())) + ".")
        if self.skipped_authors:
            out.append(f"Author entries that name a team or an organisation, not a person (not imported): "
                       f"{sum(self.skipped_authors.values())}.")
        if self.unpaired_rows:
            out.append(f"Rows whose categories or countries could not be paired with their organisations "
                       f"(kept on the model only): {self.unpaired_rows}.")
        if self.base_models_by_name:
            out.append(f"Base models not in the file, described by name only: {len(self.base_models_by_name)}.")
        decided = [m for m in self.reconciled if m.how != "auto"]
        auto = [m for m in self.reconciled if m.how == "auto"]
        out.append(f"Reconciled by reviewed decision: {len(decided)}; automatically (label and class): {len(auto)}.")
        out += [f"  {m.kind} {m.name!r} -> {_curie(m.iri)} ({m.how}{': ' + m.note if m.note else ''})"
                for m in decided]
        if self.pending:
            out.append("Decided targets not yet in the curated graph (described here until it has them): "
                       + ", ".join(_curie(p) for p in self.pending) + ".")
        out.append(f"Ambiguous names, kept apart (decide in the reconciliation file): {len(self.ambiguous)}.")
        out += [f"  {m.kind} {m.name!r}: {m.note}" for m in self.ambiguous]
        return "\n".join(out) + "\n"


def _column_order(key: str) -> int:
    keys = [c.key for c in COLUMNS]
    return keys.index(key) if key in keys else len(keys)


@dataclass
class Result:
    """An import's Turtle, as sorted blocks (written one by one: a large import's text is never one string),
    and its summary."""

    header: list[str]
    blocks: list[tuple[str, str]]  # (subject IRI, its block), sorted
    summary: Summary

    def write(self, out: TextIO) -> None:
        """Write the Turtle: the comment header, the prefixes, then each subject's block."""
        out.write("\n".join([*(f"# {line}".rstrip() for line in self.header), "",
                             *(f"@prefix {p}: <{ns}> ." for p, ns in sorted(PREFIXES.items()))]) + "\n")
        for _subject, block in self.blocks:
            out.write("\n" + block + "\n")

    @property
    def turtle(self) -> str:
        """Return the whole Turtle text."""
        buf = io.StringIO()
        self.write(buf)
        return buf.getvalue()


# ----------------------------------------------------------------------------------------------------------
# Reading the CSV
# ----------------------------------------------------------------------------------------------------------


def read_csv(path: Path) -> tuple[bytes, list[str], Iterator[tuple[int, list[str]]]]:
    """Read a CSV file: its bytes, header, and its rows with the line each starts on, as they are read (a large
    file's rows are never all in memory); a bad file is one clear error, raised where it is met."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BadRequest(f"{path}: cannot read the file: {e.strerror}.") from None
    if not data.strip():
        raise BadRequest(f"{path} is empty: expected Epoch's CSV with a header line.")
    if b"\x00" in data:
        raise BadRequest(f"{path} is not a CSV file: it contains NUL bytes (is it a binary file?).")

    def not_utf8() -> BadRequest:
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            return BadRequest(f"{path} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start}, line "
                              f"{line}): save the CSV as UTF-8.")
        return BadRequest(f"{path} is not UTF-8 text: save the CSV as UTF-8.")

    csv.field_size_limit(1 << 24)
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader)
    except UnicodeDecodeError:
        raise not_utf8() from None
    except csv.Error as e:
        raise BadRequest(f"{path} is not valid CSV: line {reader.line_num}: {e}.") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        previous = reader.line_num
        try:
            for row in reader:
                start, previous = previous + 1, reader.line_num
                if any(cell.strip() for cell in row):
                    yield start, row
        except UnicodeDecodeError:
            raise not_utf8() from None
        except csv.Error as e:
            raise BadRequest(f"{path} is not valid CSV: line {reader.line_num}: {e}.") from None

    return data, header, rows()


@dataclass
class Layout:
    """Which column of the file holds each known key, and what the header leaves out."""

    index: dict[str, int]
    headers: dict[str, str]
    unknown: list[str]
    excluded: list[str]
    absent: list[str]
    currency: str = "USD"
    currency_year: str | None = None


def _norm_header(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).casefold()


def read_header(path: Path, header: Sequence[str]) -> Layout:
    """Map the header's names to the known columns; refuse a file without a required column (exit 2)."""
    names = {_norm_header(n): c for c in COLUMNS for n in c.names}
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    excluded: list[str] = []
    currency, year = "USD", None
    for i, raw in enumerate(header):
        name = " ".join(raw.replace("\ufeff", "").split())
        if not name:
            continue
        if _EXCLUDED.match(name):
            excluded.append(name)
            continue
        column = names.get(name.casefold())
        if column is None:
            column = next((c for c in COLUMNS if c.pattern and re.fullmatch(c.pattern, name, re.IGNORECASE)), None)
        if column is None or column.key in index:
            unknown.append(name if column is None else f"{name} (a second {headers[column.key]!r})")
            continue
        if column.pattern and (m := re.fullmatch(column.pattern, name, re.IGNORECASE)):
            currency, year = m.group("currency").upper(), m.group("year")
        index[column.key] = i
        headers[column.key] = name
    missing = [c.names[0] for c in COLUMNS if c.required and c.key not in index]
    if missing:
        found = ", ".join(repr(" ".join(h.split())) for h in header if h.strip()) or "none"
        hint = "" if index else " None of its columns is one the importer knows: is this Epoch's CSV?"
        raise BadRequest(
            f"{path}: required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)}. "
            f"Columns found: {found}.{hint}",
            details={"missing": missing, "found": list(header)},
        )
    absent = [c.names[0] for c in COLUMNS if c.key not in index]
    return Layout(index, headers, unknown, excluded, absent, currency, year)


# ----------------------------------------------------------------------------------------------------------
# Parsing cells
# ----------------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE = re.compile(r"(\d{4})(-(\d{2})(-(\d{2}))?)?")


class CellError(ValueError):
    """A cell that does not parse, with the reason."""


def parse_number(text: str, *, fraction: bool = False) -> Decimal:
    """Parse a non-negative number such as ``4.7e+17``; refuse anything else with the reason."""
    t = text.strip()
    if not _NUMBER.fullmatch(t):
        raise CellError("not a number")
    value = Decimal(t)
    if value < 0:
        raise CellError("a negative value, where only zero or more makes sense")
    if fraction and value > 1:
        raise CellError("more than 1, where a fraction between 0 and 1 is expected")
    return value


def double_text(value: Decimal) -> str:
    """Write a number as an xsd:double in Turtle, one digit before the point and at least one after
    (``4.7E17``, ``6.0E7``, ``5.2E-1``).

    Not xsd:decimal: Oxigraph's decimals are 128-bit fixed point with 18 fraction digits, so a decimal above
    about 1.7e20 (most training-compute figures) is an invalid literal that no comparison or ORDER BY sees.
    The double nearest Epoch's text is what Epoch's own export held.
    """
    number = Decimal(repr(float(value)))
    if number == 0:
        return "0.0E0"
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) - 1 + exponent
    return f"{'-' if sign else ''}{ds[0]}.{ds[1:] or '0'}E{power}"


def parse_date(text: str) -> tuple[str, str]:
    """Parse ``YYYY-MM-DD`` (or ``YYYY-MM``, ``YYYY``) into its lexical form and XSD datatype."""
    t = text.strip()
    m = _DATE.fullmatch(t)
    if not m:
        raise CellError("not a date (expected YYYY-MM-DD)")
    year, month, day = int(m.group(1)), m.group(3), m.group(5)
    try:
        if day is not None:
            date(year, int(month or 0), int(day))
            return t, XSD + "date"
        if month is not None:
            date(year, int(month), 1)
            return t, XSD + "gYearMonth"
    except ValueError as e:
        raise CellError(f"not a valid date ({e})") from None
    return t, XSD + "gYear"


def parse_boolean(text: str) -> bool:
    """Parse true/false, yes/no, 1/0."""
    t = text.strip().casefold()
    if t in ("true", "yes", "1", "y"):
        return True
    if t in ("false", "no", "0", "n"):
        return False
    raise CellError("not true or false")


def split_list(text: str) -> list[str]:
    """Split a comma-separated cell, keeping commas inside parentheses ("BookCorpus (BooksCorpus, …)")."""
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if ch == "," and depth == 0:
            out.append("".join(current))
            current = []
        else:
            current.append(ch)
    out.append("".join(current))
    seen: dict[str, None] = {}
    for item in (" ".join(x.split()) for x in out):
        if item:
            seen.setdefault(item, None)
    return list(seen)


_FOOTNOTES = re.compile(r"[\u2217*†‡§¶#\d]+$")
_AND = re.compile(r"\s+(?:and|&)\s+")
_LEADING_AND = re.compile(r"^and\s+")
_TEAM = re.compile(r"\b(team|et al\.?|others|collaboration|contributors)$", re.IGNORECASE)


def split_authors(text: str) -> tuple[list[str], list[str]]:
    """Split an Authors cell into person names and the entries that are not people (teams, "et al.")."""
    names, skipped = [], []
    pieces = [p for part in text.replace(";", ",").split(",") for p in _AND.split(part)]
    for piece in pieces:
        name = _FOOTNOTES.sub("", " ".join(piece.split())).strip(" .")
        name = _LEADING_AND.sub("", name)
        if not name:
            continue
        if _TEAM.search(name) or len(name) > 80:
            skipped.append(name)
            continue
        if name not in names:
            names.append(name)
    return names, skipped


_LINK = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def parse_links(text: str) -> tuple[list[str], list[str]]:
    """Split a Link cell on white space into web addresses; return them and the pieces that are not."""
    links, bad = [], []
    for piece in text.split():
        if _LINK.fullmatch(piece):
            try:
                ox.NamedNode(piece)
            except ValueError:
                bad.append(piece)
                continue
            if piece not in links:
                links.append(piece)
        else:
            bad.append(piece)
    return links, bad


@lru_cache(maxsize=1 << 17)
def normalise(name: str) -> str:
    """Normalise a name for matching: accents and case folded, punctuation and spacing collapsed."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    # "+" is kept: DeepLabV3 and DeepLabV3+ are two models.
    return " ".join(re.sub(r"[^0-9a-z+]+", " ", ascii_.casefold()).replace("+", " + ").split())


@lru_cache(maxsize=1 << 17)
def slug(name: str) -> str:
    """Make the local part of an IRI from a name: ASCII letters, digits, '-' and '_' ("Llama 3.3" -> Llama_3_3)."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9-]+", "_", ascii_.replace("+", "_plus_"))
    text = re.sub(r"_+", "_", text).strip("_-")
    return text or "x"


# ----------------------------------------------------------------------------------------------------------
# Records: one parsed row
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Record:
    """One row, parsed: the values that parsed, keyed by column key."""

    line: int
    name: str
    date: tuple[str, str] | None = None
    numbers: dict[str, Decimal] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    authors: list[str] = field(default_factory=list)
    ordered: dict[str, list[str]] = field(default_factory=dict)  # list cells in order, repeats kept
    links: list[str] = field(default_factory=list)
    title: str | None = None
    frontier: bool | None = None

    @property
    def when(self) -> str | None:
        """Return the date padded to a full day (2023 -> 2023-01-01), for comparing with decision bounds."""
        if self.date is None:
            return None
        lex = self.date[0]
        return lex + "-01-01"[len(lex) - 4:] if len(lex) < 10 else lex


def parse_rows(rows: Iterable[tuple[int, list[str]]], layout: Layout, header: Sequence[str],
               summary: Summary) -> list[Record]:
    """Parse every row; refuse what does not parse, cell by cell, and rows without a name or with a duplicate."""
    records: list[Record] = []
    seen: dict[str, int] = {}
    width = len(header)

    def refuse(line: int, key: str, value: str, reason: str) -> None:
        summary.refused.append(Refused(line, layout.headers.get(key, key), value, reason))

    for line, row in rows:
        summary.rows_read += 1
        if len(row) > width and any(c.strip() for c in row[width:]):
            summary.refused.append(Refused(line, "(row)", ",".join(row[width:]),
                                           f"{len(row) - width} cells beyond the header's {width} columns, left out"))

        def cell(key: str, row: list[str] = row) -> str:
            i = layout.index.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        name = " ".join(cell("model").split())
        if not name:
            summary.refused.append(Refused(line, "(row)", ",".join(row)[:60], "no model name: the row is left out"))
            continue
        if normalise(name) in seen:
            summary.refused.append(Refused(line, "(row)", name, f"the same model name as line {seen[normalise(name)]}:"
                                                                " the row is left out"))
            continue
        seen[normalise(name)] = line
        record = Record(line, name)
        for column in COLUMNS:
            if column.key == "model" or column.key not in layout.index:
                continue
            text = cell(column.key)
            if not text:
                continue
            try:
                if column.kind == "date":
                    record.date = parse_date(text)
                elif column.kind in ("number", "fraction"):
                    record.numbers[column.key] = parse_number(text, fraction=column.kind == "fraction")
                elif column.kind == "boolean":
                    record.frontier = parse_boolean(text)
                elif column.kind in ("concepts", "names"):
                    values = split_list(text)
                    placeholders = _PLACEHOLDERS.get(column.key, set())
                    for v in values:
                        if normalise(v) in placeholders:
                            summary.placeholders[v] += 1
                    record.lists[column.key] = [v for v in values if normalise(v) not in placeholders]
                    if column.key in ("org_category", "country"):
                        record.ordered[column.key] = [" ".join(x.split()) for x in text.split(",") if x.strip()]
                elif column.kind == "persons":
                    record.authors, skipped = split_authors(text)
                    summary.skipped_authors.update(skipped)
                elif column.kind == "links":
                    record.links, bad = parse_links(text)
                    for piece in bad:
                        refuse(line, column.key, piece, "not a web address (http or https, no spaces)")
                elif column.kind == "text":
                    record.title = " ".join(text.split())
            except CellError as e:
                refuse(line, column.key, text, str(e))
        records.append(record)
    return records


# ----------------------------------------------------------------------------------------------------------
# The curated graph and the reviewed decisions
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Curated:
    """What the importer needs to know of the curated graph: names, types, and every IRI it uses."""

    types: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # iri -> normalised labels
    labelled: set[str] = field(default_factory=set)  # subjects with an rdfs:label
    terms: set[str] = field(default_factory=set)
    index: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # normalised label -> iris

    @classmethod
    def load(cls, paths: Iterable[Path]) -> Curated:
        """Read the curated files (their syntax errors name the file)."""
        from aikg.ingest.files import rdf_format

        curated = cls()
        label, alt, rdf_type = RDFS + "label", SKOS + "altLabel", RDF + "type"
        for path in paths:
            try:
                quads = ox.parse(path=str(path), format=rdf_format(path), base_iri=path.resolve().as_uri())
                for q in quads:
                    s, p, o = q.subject, q.predicate.value, q.object
                    if isinstance(s, ox.NamedNode):
                        curated.terms.add(s.value)
                    if isinstance(o, ox.NamedNode):
                        curated.terms.add(o.value)
                    if not isinstance(s, ox.NamedNode):
                        continue
                    if p == rdf_type and isinstance(o, ox.NamedNode):
                        curated.types[s.value].add(o.value)
                    elif p in (label, alt) and isinstance(o, ox.Literal):
                        key = normalise(o.value)
                        curated.names[s.value].add(key)
                        curated.index[key].add(s.value)
                        if p == label:
                            curated.labelled.add(s.value)
            except SyntaxError as e:
                raise InvalidData(f"{path}: {e}") from None
        return curated

    def candidates(self, name: str, cls: str | None = None) -> list[str]:
        """Return the curated resources with this normalised label (of this class, if given)."""
        found = self.index.get(normalise(name), set())
        return sorted(i for i in found if cls is None or A + cls in self.types.get(i, ()))


@dataclass(frozen=True)
class Decision:
    """One reviewed line of the reconciliation file."""

    line: int
    kind: str
    name: str
    decision: str
    target: str | None
    start: str | None
    end: str | None
    model: str | None
    reason: str

    def applies(self, when: str | None, model: str | None) -> bool:
        """Say whether the decision holds for a row of this date and model (a dated decision needs a dated
        row; one scoped to a model holds for that model's row only)."""
        if self.model is not None and (model is None or normalise(model) != normalise(self.model)):
            return False
        if self.start is None and self.end is None:
            return True
        if when is None:
            return False
        return (self.start is None or when >= self.start) and (self.end is None or when <= self.end)


def read_decisions(path: Path | None) -> dict[tuple[str, str], list[Decision]]:
    """Read the reconciliation file: kind, epoch_name, decision, aikg_iri, from, until, in_model, reason."""
    if path is None:
        return {}
    data, header, rows = read_csv(path)
    want = ["kind", "epoch_name", "decision", "aikg_iri", "from", "until", "in_model", "reason"]
    names = [h.strip().casefold() for h in header]
    missing = [w for w in want if w not in names]
    if missing:
        raise BadRequest(f"{path}: columns missing: {', '.join(missing)} (expected {', '.join(want)}).")
    col = {w: names.index(w) for w in want}
    out: dict[tuple[str, str], list[Decision]] = defaultdict(list)
    for line, row in rows:
        def get(w: str, row: list[str] = row) -> str:
            return row[col[w]].strip() if col[w] < len(row) else ""

        kind, decision, target = get("kind"), get("decision"), get("aikg_iri")
        if kind not in KINDS:
            raise BadRequest(f"{path}, line {line}: unknown kind {kind!r} (use one of {', '.join(KINDS)}).")
        if decision not in _DECISIONS:
            raise BadRequest(f"{path}, line {line}: unknown decision {decision!r} "
                             f"(use one of {', '.join(_DECISIONS)}).")
        if decision in ("same", "version-of") and not target:
            raise BadRequest(f"{path}, line {line}: a {decision!r} decision needs the aikg IRI.")
        iri = None
        if target:
            iri = RESOURCE + target.removeprefix("aikgr:") if not target.startswith("http") else target
            try:
                ox.NamedNode(iri)
            except ValueError:
                raise BadRequest(f"{path}, line {line}: {target!r} is not an IRI.") from None
        bounds = []
        for w in ("from", "until"):
            value = get(w)
            if value:
                try:
                    lex, datatype = parse_date(value)
                except CellError as e:
                    raise BadRequest(f"{path}, line {line}: {w} {value!r}: {e}.") from None
                if datatype != XSD + "date":
                    raise BadRequest(f"{path}, line {line}: {w} must be a full date (YYYY-MM-DD).")
            bounds.append(value or None)
        if not get("reason"):
            raise BadRequest(f"{path}, line {line}: every decision needs a reason.")
        out[(kind, normalise(get("epoch_name")))].append(
            Decision(line, kind, get("epoch_name"), decision, iri, bounds[0], bounds[1], get("in_model") or None,
                     get("reason")))
    return out


class Resolver:
    """Land each Epoch name on one IRI: a reviewed decision, a safe automatic match, or a new resource."""

    def __init__(self, curated: Curated, decisions: dict[tuple[str, str], list[Decision]], summary: Summary,
                 path: Path | None) -> None:
        self.curated = curated
        self.decisions = decisions
        self.summary = summary
        self.path = path
        self.spellings: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.minted: dict[tuple[str, str], str] = {}
        self.version_of: dict[str, str] = {}
        self.matched: dict[tuple[str, str, str], Match] = {}
        self._reported: set[tuple[str, str]] = set()
        self._auto: dict[tuple[str, str], str] = {}

    def note(self, kind: str, name: str) -> None:
        """Record a spelling of a name, so a new resource takes its most frequent one as label."""
        self.spellings[(kind, normalise(name))][name] += 1

    def mint_all(self) -> None:
        """Give every noted name that no decision or match claims its IRI (slugs deduplicated by hash)."""
        by_slug: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for kind, key in self.spellings:
            label = self.label(kind, key)
            by_slug[(kind, slug(label))].append((kind, key))
        for (kind, s), keys in by_slug.items():
            prefix = KINDS[kind][0]
            for k in keys:
                suffix = "" if len(keys) == 1 else "-" + hashlib.sha1(k[1].encode()).hexdigest()[:6]
                iri = f"{RESOURCE}{prefix}-{s}{suffix}"
                if iri in self.curated.terms:
                    raise InvalidData(f"The new resource {_curie(iri)} would reuse an IRI of the curated graph; "
                                      "add a decision for it to the reconciliation file.")
                self.minted[k] = iri

    def label(self, kind: str, key: str) -> str:
        """Return the most frequent spelling of a name (ties: the first in sort order)."""
        spellings = self.spellings[(kind, key)]
        return min(spellings, key=lambda s: (-spellings[s], s))

    def resolve(self, kind: str, name: str, when: str | None = None, model: str | None = None) -> str:
        """Return the IRI a name lands on for a row of this date and model."""
        key = normalise(name)
        if (kind, key) not in self.decisions:  # no decision: the answer does not depend on the row
            hit = self._auto.get((kind, key))
            if hit is None:
                hit = self._auto[(kind, key)] = self._resolve(kind, name, key, when, model)
            return hit
        return self._resolve(kind, name, key, when, model)

    def _resolve(self, kind: str, name: str, key: str, when: str | None, model: str | None) -> str:
        decision = self._decision(kind, key, when, model)
        if decision is not None:
            if decision.decision == "same":
                assert decision.target is not None
                self._record(Match(kind, name, decision.target, "decision", decision.reason))
                if decision.target not in self.curated.types and decision.target not in self.summary.pending:
                    self.summary.pending.append(decision.target)
                return decision.target
            iri = self.minted[(kind, key)]
            if decision.decision == "version-of":
                assert decision.target is not None
                self.version_of[iri] = decision.target
                self._record(Match(kind, name, iri, "version-of", f"a version of {_curie(decision.target)}"))
            else:
                self._record(Match(kind, name, iri, "distinct", decision.reason))
            return iri
        cls = KINDS[kind][1]
        found = self.curated.candidates(name, cls)
        if len(found) == 1:
            self._record(Match(kind, name, found[0], "auto"))
            return found[0]
        if len(found) > 1:
            self._ambiguous(kind, name, "several curated resources have this name: " + ", ".join(map(_curie, found)))
        else:
            others = self.curated.candidates(name)
            if others:
                self._ambiguous(kind, name, "a curated resource of another kind has this name: "
                                + ", ".join(map(_curie, others)))
            elif kind == "person" and (similar := self._initials(name)):
                self._ambiguous(kind, name, "the same initials and surname as " + ", ".join(map(_curie, similar)))
        return self.minted[(kind, key)]

    def is_new(self, iri: str) -> bool:
        """Say whether an IRI is one this import made (not curated, not a decided curated target)."""
        return iri in self._minted_set

    @property
    def _minted_set(self) -> set[str]:
        if not hasattr(self, "_minted_cache"):
            self._minted_cache = set(self.minted.values())
        return self._minted_cache

    def _decision(self, kind: str, key: str, when: str | None, model: str | None) -> Decision | None:
        options = self.decisions.get((kind, key), [])
        if not options:
            return None
        fitting = [d for d in options if d.applies(when, model)]
        if any(d.model for d in fitting):  # a decision for this model's row wins over a general one
            fitting = [d for d in fitting if d.model]
        if len(fitting) > 1:
            raise BadRequest(f"{self.path}: the decisions of lines {', '.join(str(d.line) for d in fitting)} "
                             f"all apply to {kind} {options[0].name!r} on {when}: make their dates not overlap.")
        if not fitting:
            self._ambiguous(kind, options[0].name, f"no decision of the file covers the date {when or '(none)'}")
            return None
        return fitting[0]

    def _record(self, match: Match) -> None:
        k = (match.kind, normalise(match.name), match.iri)
        if k not in self.matched:
            self.matched[k] = match

    def _ambiguous(self, kind: str, name: str, note: str) -> None:
        if (kind, normalise(name)) not in self._reported:
            self._reported.add((kind, normalise(name)))
            self.summary.ambiguous.append(Match(kind, name, "", "ambiguous", note))

    def _initials(self, name: str) -> list[str]:
        parts = normalise(name).split()
        if len(parts) < 2 or not all(len(p) <= 2 for p in parts[:-1]):
            return []
        if not hasattr(self, "_by_surname"):  # curated people by surname, built once
            self._by_surname: dict[str, set[tuple[str, str]]] = defaultdict(set)
            for iri, names in self.curated.names.items():
                if A + "Person" in self.curated.types.get(iri, ()):
                    for full in names:
                        fp = full.split()
                        if len(fp) >= 2:
                            self._by_surname[fp[-1]].add((fp[0][0], iri))
        return sorted({i for initial, i in self._by_surname.get(parts[-1], ()) if initial == parts[0][0]})


# ----------------------------------------------------------------------------------------------------------
# Writing Turtle
# ----------------------------------------------------------------------------------------------------------

_LOCAL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_ORDERED_PREFIXES = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


@lru_cache(maxsize=1 << 18)
def _curie(iri: str) -> str:
    for prefix, ns in _ORDERED_PREFIXES:
        if iri.startswith(ns) and _LOCAL.fullmatch(iri[len(ns):]):
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


_PLAIN = re.compile(r'[\\"\x00-\x1f\u2028\u2029\ufffe\uffff]')


def _string(text: str) -> str:
    if not _PLAIN.search(text):  # nothing to escape: most labels
        return f'"{text}"'
    out = ['"']
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ch in "\u2028\u2029\ufffe\uffff":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


@lru_cache(maxsize=1 << 16)
def lang(text: str) -> str:
    """Render an English string literal."""
    return _string(text) + "@en"


def typed(lex: str, datatype: str) -> str:
    """Render a typed literal; numbers and booleans in their bare Turtle forms."""
    if datatype in (XSD + "decimal", XSD + "integer", XSD + "boolean"):
        return lex
    return f"{_string(lex)}^^{_curie(datatype)}"


def iri(value: str) -> str:
    """Render an IRI as a prefixed name where it can be, else in angle brackets."""
    return _curie(value)


class Triples:
    """A set of triples by subject and predicate, written as canonical Turtle (everything sorted)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))

    def add(self, s: str, p: str, o: str) -> None:
        """Add a triple: subject and predicate as full IRIs, the object rendered."""
        self.data[s][p].add(o)

    def __len__(self) -> int:
        return sum(len(objects) for preds in self.data.values() for objects in preds.values())

    def blocks(self) -> list[tuple[str, str]]:
        """Return one Turtle block per subject (predicates and objects sorted), with the subject's IRI."""
        first = (RDF + "type", RDFS + "label")
        out = []
        for s, preds in self.data.items():
            lines = []
            for p in sorted(preds, key=lambda p: (first.index(p) if p in first else len(first), p)):
                objects = sorted(preds[p], key=_object_key)
                name = "a" if p == RDF + "type" else _curie(p)
                lines.append(f"    {name} {' , '.join(objects)}")
            out.append((s, _curie(s) + "\n" + " ;\n".join(lines) + " ."))
        return out


class _Sink:
    """Where triples go: a row's own subjects (its model and figures) into the row's triples, written out as
    soon as the row is done; the subjects rows share (organisations, people, concepts) into one set."""

    def __init__(self) -> None:
        self.shared = Triples()
        self.row = Triples()
        self.row_subjects: set[str] = set()

    def add(self, s: str, p: str, o: str) -> None:
        """Add a triple where its subject belongs."""
        (self.row if s in self.row_subjects else self.shared).add(s, p, o)


def _object_key(rendered: str) -> tuple[int, str]:
    # Numbers compare as numbers would be nicer, but they never share a subject and predicate here.
    return (0 if not rendered.startswith('"') else 1, rendered)


# ----------------------------------------------------------------------------------------------------------
# The import
# ----------------------------------------------------------------------------------------------------------


def default_curated(output: Path | None = None) -> list[Path]:
    """Return the curated data files: every shipped RDF file outside data/epoch/ (and not the output)."""
    from aikg.resources import RDF_SUFFIXES, shipped

    root = shipped("data")
    out = []
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.suffix not in RDF_SUFFIXES or "epoch" in p.relative_to(root).parts[:-1]:
            continue
        if output is not None and p.resolve() == output.resolve():
            continue
        out.append(p)
    return out


def default_decisions() -> Path:
    """Return the shipped reconciliation file."""
    from aikg.resources import shipped

    return shipped("data") / "epoch" / "reconciliation.csv"


def default_output() -> Path:
    """Return where the shipped Epoch graph lives."""
    from aikg.resources import shipped

    return shipped("data") / "epoch" / "notable-ai-models.ttl"


def known_snapshot_date(sha256: str, registry: Path | None = None) -> str | None:
    """Look the snapshot's date up by its SHA-256 in data/epoch/snapshots.csv."""
    from aikg.resources import shipped

    path = registry or shipped("data") / "epoch" / "snapshots.csv"
    if not path.exists():
        return None
    _data, header, rows = read_csv(path)
    names = [h.strip().casefold() for h in header]
    if "sha256" not in names or "snapshot_date" not in names:
        raise BadRequest(f"{path}: expected the columns sha256 and snapshot_date.")
    for _line, row in rows:
        if row[names.index("sha256")].strip().lower() == sha256:
            return row[names.index("snapshot_date")].strip() or None
    return None


def import_epoch(
    csv_path: Path,
    *,
    graph: str,
    curated: Sequence[Path],
    decisions: Path | None,
    snapshot_date: str | None = None,
) -> Result:
    """Read an Epoch CSV and return its Turtle (the named graph `graph`) and the summary.

    Raises BadRequest for a file that cannot be read as Epoch's CSV (exit 2) and for a reconciliation
    file that contradicts itself.
    """
    data, header, rows = read_csv(csv_path)
    sha256 = hashlib.sha256(data).hexdigest()
    summary = Summary(source=csv_path.name, sha256=sha256)
    layout = read_header(csv_path, header)
    summary.columns = dict(layout.headers)
    summary.not_imported, summary.excluded, summary.absent = layout.unknown, layout.excluded, layout.absent
    if snapshot_date is None:
        snapshot_date = known_snapshot_date(sha256)
    if snapshot_date is not None:
        try:
            parse_date(snapshot_date)
        except CellError as e:
            raise BadRequest(f"snapshot date {snapshot_date!r}: {e}.") from None
    summary.snapshot_date = snapshot_date
    records = parse_rows(rows, layout, header, summary)
    resolver = Resolver(Curated.load(curated), read_decisions(decisions), summary, decisions)
    builder = _Builder(records, layout, resolver, summary, graph, snapshot_date, len(data))
    del data  # the text of a large file is not needed any more
    summary.models_written = len(records)
    blocks, summary.triples = builder.build()
    summary.reconciled = sorted(resolver.matched.values(), key=lambda m: (m.kind, normalise(m.name), m.iri))
    summary.pending.sort()
    head = [
        "Epoch AI, \"Data on Notable AI Models\" (https://epoch.ai/data/notable-ai-models), as linked data.",
        f"{ATTRIBUTION}.",
        "Generated by `aikg import epoch`; never edit by hand (tests/test_epoch.py regenerates it).",
        f"Snapshot: {csv_path.name}, sha256 {sha256}.",
    ]
    return Result(head, blocks, summary)


class _Builder:
    """Turn parsed records into triples, resolving every name."""

    def __init__(self, records: list[Record], layout: Layout, resolver: Resolver, summary: Summary, graph: str,
                 snapshot_date: str | None, size: int) -> None:
        self.records = records
        self.layout = layout
        self.r = resolver
        self.summary = summary
        self.graph = graph
        self.snapshot_date = snapshot_date
        self.size = size
        self.t = _Sink()
        self.blocks: list[tuple[str, str]] = []
        self.row_triples = 0
        self.used: set[str] = set()  # the schemes, metrics and units the triples use
        self.described: set[tuple[str, ...]] = set()  # shared subjects already described
        self.model_iri: dict[str, str] = {}
        self.epoch = iri(EPOCH_DATASET)
        self.org_values: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.titles: dict[str, Counter[str]] = defaultdict(Counter)

    # -- helpers ---------------------------------------------------------------------------------------------

    def fact(self, key: str, n: int = 1) -> None:
        self.summary.facts[self.layout.headers[key]] += n

    def describe_new(self, s: str, cls: str, label: str) -> None:
        """Type, label and source a resource this import made; a curated one only gets its type again."""
        if (s, cls, label) in self.described:  # a person or organisation of many rows, described once
            return
        self.described.add((s, cls, label))
        self.t.add(s, RDF + "type", iri(A + cls))
        if self.r.is_new(s) or s not in self.r.curated.labelled:
            if s not in self.r.curated.labelled:
                self.t.add(s, RDFS + "label", lang(label))
        elif normalise(label) not in self.r.curated.names.get(s, set()):
            self.t.add(s, SKOS + "altLabel", lang(label))
        if self.r.is_new(s):
            self.t.add(s, A + "importedFrom", iri(self.graph))
        if s not in self.r.curated.types:  # new, or a decided curated IRI the curated graph does not have yet
            self.t.add(s, DCTERMS + "source", self.epoch)
        if s in self.r.version_of:
            self.t.add(s, DCTERMS + "isVersionOf", iri(self.r.version_of[s]))

    def named(self, kind: str, name: str, when: str | None, model: str | None = None) -> str:
        s = self.r.resolve(kind, name, when, model)
        self.describe_new(s, KINDS[kind][1], self.r.label(kind, normalise(name)) if self.r.is_new(s) else name)
        return s

    def concept(self, key: str, value: str) -> str:
        scheme, prefix, _prop, cls, _title = SCHEMES[key]
        s = f"{RESOURCE}{prefix}-{slug(value)}"
        if (s, value) in self.described:
            return s
        self.described.add((s, value))
        self.t.add(s, RDF + "type", iri(A + cls))
        self.t.add(s, RDF + "type", iri(SKOS + "Concept"))
        self.t.add(s, RDFS + "label", lang(value))
        self.t.add(s, SKOS + "prefLabel", lang(value))
        self.t.add(s, SKOS + "inScheme", iri(RESOURCE + scheme))
        self.used.add(RESOURCE + scheme)
        self.t.add(s, A + "importedFrom", iri(self.graph))
        self.t.add(s, DCTERMS + "source", self.epoch)
        return s

    # -- the build ------------------------------------------------------------------------------------------

    def build(self) -> tuple[list[tuple[str, str]], int]:
        """Return the sorted Turtle blocks and the number of triples."""
        self._note_names()
        self.r.mint_all()
        taken: dict[str, int] = {}
        for rec in self.records:
            m = self.r.resolve("model", rec.name, rec.when, rec.name)
            if m in taken:
                raise BadRequest(f"The rows of lines {taken[m]} and {rec.line} both land on {_curie(m)}: one resource "
                                 "cannot be two models; fix the reconciliation file.")
            taken[m] = rec.line
            self.model_iri[normalise(rec.name)] = m
        for rec in self.records:
            m = self.model_iri[normalise(rec.name)]
            self.t.row, self.t.row_subjects = Triples(), {m}
            self._model(rec)
            self.row_triples += len(self.t.row)
            self.blocks += self.t.row.blocks()
        self.t.row, self.t.row_subjects = Triples(), set()
        self._org_values()
        self._references()
        self._vocabulary()
        self._dataset()
        # The count describes the graph it is in: every triple, this one included.
        total = self.row_triples + len(self.t.shared) + 1
        self.t.add(self.graph, VOID + "triples", typed(str(total), XSD + "integer"))
        self.blocks += self.t.shared.blocks()
        self.blocks.sort()
        return self.blocks, total

    def _note_names(self) -> None:
        r = self.r
        for rec in self.records:
            r.note("model", rec.name)
            for name in rec.lists.get("organisation", []):
                r.note("organisation", name)
            for name in rec.authors:
                r.note("person", name)
            for name in rec.lists.get("hardware", []):
                r.note("hardware", name)
            for name in rec.lists.get("dataset", []):
                r.note("dataset", name)
            for name in rec.lists.get("country", []):
                if normalise(name) != "multinational":
                    r.note("country", name)
        names = {normalise(rec.name) for rec in self.records}
        for rec in self.records:
            for name in rec.lists.get("base_model", []):
                if normalise(name) not in names and not self.r.curated.candidates(name, "Model"):
                    r.note("model", name)
        r.note("organisation", "Epoch AI")

    def _model(self, rec: Record) -> None:
        t, r = self.t, self.r
        m = self.model_iri[normalise(rec.name)]
        self.describe_new(m, "Model", rec.name)
        t.add(m, DCTERMS + "source", self.epoch)
        self.fact("model")
        when = rec.when
        if rec.date is not None:
            t.add(m, A + "publicationDate", typed(*rec.date))
            t.add(m, A + "year", typed(str(int(rec.date[0][:4])), XSD + "integer"))
            self.fact("date")
        for link in rec.links:
            t.add(m, A + "reference", iri(link))
            t.add(m, DCTERMS + "source", iri(link))
            self.fact("link")
        if rec.links and rec.title:
            self.titles[rec.links[0]][rec.title] += 1
            self.fact("reference")
        elif rec.title:
            self.summary.refused.append(Refused(rec.line, self.layout.headers["reference"], rec.title,
                                                "no link to attach the reference's title to"))
        orgs = []
        for name in rec.lists.get("organisation", []):
            o = self.named("organisation", name, when, rec.name)
            t.add(m, A + "producedBy", iri(o))
            orgs.append(o)
            self.fact("organisation")
        row_orgs = {normalise(o) for o in rec.lists.get("organisation", [])}
        for name in rec.authors:
            if normalise(name) in row_orgs:  # "OpenAI" as the author of GPT-4: an organisation, not a person
                self.summary.skipped_authors[name] += 1
                continue
            p = self.named("person", name, when, rec.name)
            t.add(m, A + "modelAuthor", iri(p))
            self.fact("authors")
        self._pair(rec, orgs)
        for name in rec.lists.get("country", []):
            if normalise(name) == "multinational":
                continue
            c = self.named("country", name, when)
            t.add(m, A + "countryOfOrigin", iri(c))
            self.fact("country")
        for key in ("domain", "task", "notability", "weights_access", "training_code", "inference_code"):
            for value in rec.lists.get(key, []):
                t.add(m, A + SCHEMES[key][2], iri(self.concept(key, value)))
                self.fact(key)
        hardware = []
        for name in rec.lists.get("hardware", []):
            h = self.named("hardware", name, when)
            t.add(m, A + "trainingHardware", iri(h))
            hardware.append(h)
            self.fact("hardware")
        for name in rec.lists.get("dataset", []):
            d = self.named("dataset", name, when)
            t.add(m, A + "trainedOn", iri(d))
            self.fact("dataset")
        for name in rec.lists.get("base_model", []):
            b = self.model_iri.get(normalise(name))
            if b is None:
                found = r.curated.candidates(name, "Model")
                b = found[0] if len(found) == 1 else r.resolve("model", name, None)
                if r.is_new(b):
                    self.describe_new(b, "Model", r.label("model", normalise(name)))
                    if name not in self.summary.base_models_by_name:
                        self.summary.base_models_by_name.append(name)
            t.add(m, A + "baseModel", iri(b))
            self.fact("base_model")
        if rec.frontier is not None:
            t.add(m, A + "frontierModel", typed("true" if rec.frontier else "false", XSD + "boolean"))
            self.fact("frontier")
        confidence = rec.lists.get("confidence", [])[:1]
        used_confidence = False
        for figure in FIGURES:
            if figure.key not in rec.numbers or figure.key not in self.layout.headers:
                continue
            f = self._figure(m, rec, figure, hardware)
            if figure.confidence and confidence:
                t.add(f, A + "confidence", iri(self.concept("confidence", confidence[0])))
                used_confidence = True
            self.fact(figure.key)
        if used_confidence:
            self.fact("confidence")
        if "cost" in rec.numbers:
            self._cost(m, rec)

    def _local(self, m: str) -> str:
        return m[len(RESOURCE):] if m.startswith(RESOURCE) else slug(m)

    def _figure(self, m: str, rec: Record, figure: Figure, hardware: list[str]) -> str:
        t = self.t
        f = f"{RESOURCE}figure-{self._local(m)}-{figure.key.replace('_', '-')}"
        self.t.row_subjects.add(f)
        metric = RESOURCE + figure.metric
        self.used.update((metric, figure.unit))
        t.add(m, A + figure.prop, iri(f))
        t.add(f, RDF + "type", iri(A + "Measurement"))
        t.add(f, RDFS + "label", lang(f"{rec.name}: {figure.label} (Epoch AI)"))
        t.add(f, A + "metric", iri(metric))
        t.add(f, A + "value", double_text(rec.numbers[figure.key]))
        t.add(f, A + "unit", iri(figure.unit))
        t.add(f, A + "achievedBy", iri(m))
        t.add(f, DCTERMS + "source", self.epoch)
        for link in rec.links:
            t.add(f, PROV + "wasDerivedFrom", iri(link))
        if figure.key == "hardware_quantity" and len(hardware) == 1:
            t.add(f, A + "hardware", iri(hardware[0]))
        if figure.key == "citations" and self.snapshot_date:
            t.add(f, A + "date", typed(*parse_date(self.snapshot_date)))
        return f

    def _cost(self, m: str, rec: Record) -> None:
        t = self.t
        c = f"{RESOURCE}figure-{self._local(m)}-training-cost"
        self.t.row_subjects.add(c)
        t.add(m, A + "trainingCost", iri(c))
        t.add(c, RDF + "type", iri(A + "MonetaryAmount"))
        t.add(c, RDFS + "label", lang(f"{rec.name}: training cost (Epoch AI)"))
        t.add(c, A + "value", double_text(rec.numbers["cost"]))
        t.add(c, A + "currency", _string(self.layout.currency))
        if self.layout.currency_year:
            t.add(c, A + "currencyYear", typed(self.layout.currency_year, XSD + "gYear"))
        t.add(c, A + "qualifier", _string("estimated"))
        t.add(c, DCTERMS + "source", self.epoch)
        for link in rec.links:
            t.add(c, PROV + "wasDerivedFrom", iri(link))
        self.fact("cost")

    def _pair(self, rec: Record, orgs: list[str]) -> None:
        """Give organisations the categories and countries of their row where the pairing is certain: one
        organisation takes all of them; several take them in order when the counts agree."""
        for key, what in (("org_category", "category"), ("country", "country")):
            values = rec.ordered.get(key, [])
            if not values:
                continue
            if len(orgs) == 1:
                pairs = [(orgs[0], v) for v in values]
            elif len(values) == len(orgs):
                pairs = list(zip(orgs, values, strict=True))
            else:
                self.summary.unpaired_rows += 1
                continue
            for o, v in pairs:
                self.org_values[o][what].add(v)
                if key == "org_category":
                    self.fact(key)

    def _org_values(self) -> None:
        for o in sorted(self.org_values):
            values = self.org_values[o]
            for c in sorted(values["category"]):
                self.t.add(o, A + "organisationCategory", iri(self.concept("org_category", c)))
            for c in sorted(values["country"]):
                if normalise(c) == "multinational":
                    self.t.add(o, A + "multinational", "true")
                else:
                    self.t.add(o, A + "country", iri(self.r.resolve("country", c, None)))

    def _references(self) -> None:
        """Label each reference with its title: the most frequent where rows give it several (ties: the first
        in sort order); a document the curated graph already labels keeps its label."""
        for link in sorted(self.titles):
            if link in self.r.curated.labelled:
                continue
            titles = self.titles[link]
            self.t.add(link, RDF + "type", iri(DCTERMS + "BibliographicResource"))
            self.t.add(link, RDFS + "label", lang(min(titles, key=lambda x: (-titles[x], x))))

    def _vocabulary(self) -> None:
        """Describe the schemes, metrics and units the figures and concepts use."""
        t = self.t
        for scheme, _prefix, _prop, _cls, title in sorted(SCHEMES.values()):
            s = RESOURCE + scheme
            if s not in self.used:
                continue
            t.add(s, RDF + "type", iri(SKOS + "ConceptScheme"))
            t.add(s, RDFS + "label", lang(title))
            t.add(s, A + "importedFrom", iri(self.graph))
            t.add(s, DCTERMS + "source", self.epoch)
        for figure in FIGURES:
            metric = RESOURCE + figure.metric
            if metric not in self.used or metric in self.r.curated.types:
                continue
            label, definition = METRICS[figure.metric]
            t.add(metric, RDF + "type", iri(A + "Metric"))
            t.add(metric, RDFS + "label", lang(label))
            t.add(metric, DCTERMS + "description", lang(definition))
            t.add(metric, A + "importedFrom", iri(self.graph))
            t.add(metric, DCTERMS + "source", self.epoch)
        for unit, label in sorted(UNIT_LABELS.items()):
            if unit in self.used and unit not in self.r.curated.labelled:
                t.add(unit, RDF + "type", iri(QUDT + "Unit"))
                t.add(unit, RDFS + "label", lang(label))

    def _dataset(self) -> None:
        """Describe the graph as a DCAT dataset derived from the snapshot, and Epoch's dataset and publisher."""
        t, g = self.t, self.graph
        sha = self.summary.sha256
        snapshot = f"{SOURCE}epoch-notable-ai-models-{sha[:12]}"
        activity = snapshot + "-import"
        importer = SOURCE + "aikg-import-epoch"
        epoch_ai = self.r.resolve("organisation", "Epoch AI")
        self.describe_new(epoch_ai, "Organisation", "Epoch AI")
        t.add(epoch_ai, DCTERMS + "description", lang("A research organisation that studies trends in machine "
                                                       "learning and publishes datasets of AI models."))
        t.add(EPOCH_DATASET, RDF + "type", iri(DCAT + "Dataset"))
        t.add(EPOCH_DATASET, RDFS + "label", lang(f"Epoch AI: {EPOCH_TITLE}"))
        t.add(EPOCH_DATASET, DCTERMS + "title", lang(EPOCH_TITLE))
        t.add(EPOCH_DATASET, DCTERMS + "publisher", iri(epoch_ai))
        t.add(EPOCH_DATASET, DCTERMS + "license", iri(CC_BY))
        t.add(EPOCH_DATASET, DCAT + "landingPage", iri(EPOCH_DATASET))
        t.add(EPOCH_DATASET, DCAT + "distribution", iri(snapshot))
        t.add(CC_BY, RDF + "type", iri(DCTERMS + "LicenseDocument"))
        t.add(CC_BY, RDFS + "label", lang("Creative Commons Attribution 4.0 International"))

        t.add(snapshot, RDF + "type", iri(DCAT + "Distribution"))
        t.add(snapshot, RDF + "type", iri(PROV + "Entity"))
        t.add(snapshot, RDFS + "label", lang(f"{self.summary.source}, a snapshot of Epoch AI's notable models"))
        t.add(snapshot, DCTERMS + "title", lang(self.summary.source))
        t.add(snapshot, DCAT + "mediaType", iri("https://www.iana.org/assignments/media-types/text/csv"))
        t.add(snapshot, DCAT + "byteSize", typed(str(self.size), XSD + "integer"))
        t.add(snapshot, SPDX + "checksum", iri(snapshot + "-sha256"))
        t.add(snapshot, DCTERMS + "publisher", iri(epoch_ai))
        t.add(snapshot, DCTERMS + "license", iri(CC_BY))
        t.add(snapshot, DCTERMS + "source", iri(EPOCH_DATASET))
        if self.snapshot_date:
            t.add(snapshot, DCTERMS + "issued", typed(*parse_date(self.snapshot_date)))
        t.add(snapshot + "-sha256", RDF + "type", iri(SPDX + "Checksum"))
        t.add(snapshot + "-sha256", SPDX + "algorithm", iri(SPDX + "checksumAlgorithm_sha256"))
        t.add(snapshot + "-sha256", SPDX + "checksumValue", typed(sha, XSD + "hexBinary"))

        t.add(importer, RDF + "type", iri(PROV + "SoftwareAgent"))
        t.add(importer, RDFS + "label", lang("aikg import epoch"))
        t.add(importer, DCTERMS + "hasVersion", _string(f"aikg {__version__}, importer {IMPORTER_VERSION}"))
        t.add(activity, RDF + "type", iri(PROV + "Activity"))
        t.add(activity, RDFS + "label", lang(f"Import of {self.summary.source} into aikg"))
        t.add(activity, PROV + "used", iri(snapshot))
        t.add(activity, PROV + "wasAssociatedWith", iri(importer))

        t.add(g, RDF + "type", iri(DCAT + "Dataset"))
        t.add(g, RDF + "type", iri(VOID + "Dataset"))
        t.add(g, RDF + "type", iri(PROV + "Entity"))
        t.add(g, RDFS + "label", lang(f"Epoch AI: {EPOCH_TITLE} (aikg graph)"))
        t.add(g, DCTERMS + "title", lang(f"{EPOCH_TITLE}, as linked data"))
        t.add(g, DCTERMS + "description", lang(
            "Epoch AI's database of notable machine-learning models as RDF: each model with its organisations, "
            "authors, date, reference, domain and figures (training compute, parameters, data, hardware, cost), "
            "joined to the curated history where a model, organisation or person is the same."))
        t.add(g, DCTERMS + "publisher", iri(epoch_ai))
        t.add(g, DCTERMS + "license", iri(CC_BY))
        t.add(g, DCTERMS + "rights", lang(ATTRIBUTION))
        t.add(g, DCTERMS + "source", iri(EPOCH_DATASET))
        t.add(g, DCAT + "landingPage", iri(EPOCH_DATASET))
        t.add(g, PROV + "wasDerivedFrom", iri(snapshot))
        t.add(g, PROV + "wasGeneratedBy", iri(activity))
        if self.snapshot_date:
            t.add(g, DCTERMS + "temporal", typed(*parse_date(self.snapshot_date)))
        s = self.summary
        counts = {"rowsRead": s.rows_read, "modelsWritten": len(self.records),
                  "cellsRefused": sum(1 for x in s.refused if x.column != "(row)"),
                  "rowsRefused": sum(1 for x in s.refused if x.column == "(row)")}
        for name, n in counts.items():
            t.add(g, A + name, typed(str(n), XSD + "integer"))
        t.add(g, VOID + "entities", typed(str(len(self.records)), XSD + "integer"))

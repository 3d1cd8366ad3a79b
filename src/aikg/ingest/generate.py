"""A synthetic graph shaped like the real one, for benchmarks and scale tests.

Eras hold milestones with dates inside the era; each milestone is about a model, software, product,
dataset or hardware made by an organisation, described in a paper with an ordered author list, with
measurements (metric, value, unit, benchmark, date, source), techniques in a SKOS hierarchy, people with
affiliations, and organisations with parents and acquisitions. Shared pools (organisations, people,
techniques, datasets, metrics, venues, places) grow with the number of milestones, so the fan-out per
milestone stays about the same at every size, and links only point back to things made earlier.

The output is streamed: triples are written as they are made, in constant memory, so that graphs of
millions of triples are cheap. The same seed and size give the same bytes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO

from aikg.namespaces import DCTERMS, ONTOLOGY, PREFIXES, PROV, RDF, RDFS, RESOURCE, SKOS, STATEMENT, XSD

FORMATS = ("nt", "ttl")

#: Milestones per era: eras are short consecutive windows of 1950-2025, so dates stay inside their era.
MILESTONES_PER_ERA = 25
FIRST_YEAR, LAST_YEAR = 1950, 2025


def _iri(ns: str, local: str) -> str:
    return f"<{ns}{local}>"


def _o(local: str) -> str:
    return _iri(ONTOLOGY, local)


A = _iri(RDF, "type")
LABEL = _iri(RDFS, "label")
DESCRIPTION = _iri(DCTERMS, "description")
SOURCE = _iri(DCTERMS, "source")
BROADER = _iri(SKOS, "broader")
ALT_LABEL = _iri(SKOS, "altLabel")
FIRST, REST, NIL = _iri(RDF, "first"), _iri(RDF, "rest"), _iri(RDF, "nil")
TITLE = _iri(DCTERMS, "title")
SUBJECT, PREDICATE, OBJECT = _iri(RDF, "subject"), _iri(RDF, "predicate"), _iri(RDF, "object")
STATEMENT_CLASS = _iri(RDF, "Statement")
DERIVED_FROM = _iri(PROV, "wasDerivedFrom")
_PROPERTIES = (
    "era hasMilestone about producedBy author authorList contributor paper introduces uses buildsOn surpasses",
    "successorOf parentOrganisation acquiredBy acquirer acquired foundedBy founded affiliatedWith affiliation",
    "organisation location venue trainedOn trainingHardware licence measurement metric unit benchmark achievedBy",
    "comparedWith amount date year startYear endYear publicationDate releaseDate foundingDate startDate endDate",
    "since role arxivId doi value currency qualifier reportedPrice priceDisclosed released fundedBy participant",
    "winner defeated partOfEvent notableMove playedBy score gameNumber moveNumber statementRank rankReason",
)
_CLASSES = (
    "Era Milestone Organisation Person Technique Paper Model Software Product Dataset Hardware Venue Place",
    "Founding Acquisition Release Affiliation Measurement Metric MonetaryAmount Match Game Move Source",
)
#: The ontology's properties and classes the generator uses, as N-Triples terms.
P = {name: _o(name) for line in _PROPERTIES for name in line.split()}
C = {name: _o(name) for line in _CLASSES for name in line.split()}

_INT = f"^^<{XSD}integer>"
_DEC = f"^^<{XSD}decimal>"
_DATE = f"^^<{XSD}date>"
_GYEAR = f"^^<{XSD}gYear>"

UNITS = {name: f"<http://qudt.org/vocab/unit/{name}>" for name in ("PERCENT", "NUM", "DAY", "HR", "UNITLESS")}
LICENCES = (
    "<https://www.apache.org/licenses/LICENSE-2.0>",
    "<https://opensource.org/licenses/MIT>",
    "<https://opensource.org/licenses/BSD-3-Clause>",
)
#: (label, unit, low, high): the base metrics; later metrics are variants of these.
METRICS = (
    ("top-5 error rate", "PERCENT", 2.0, 30.0),
    ("top-1 accuracy", "PERCENT", 50.0, 92.0),
    ("BLEU score", "UNITLESS", 10.0, 45.0),
    ("number of parameters", "NUM", 1e5, 1e11),
    ("number of layers", "NUM", 2, 200),
    ("training duration", "DAY", 0.5, 90.0),
    ("games won", "NUM", 0, 5),
    ("Elo rating", "NUM", 1500, 3800),
    ("word error rate", "PERCENT", 3.0, 40.0),
    ("F1 score", "PERCENT", 40.0, 95.0),
)
ARTEFACT_KINDS = ("Model", "Model", "Model", "Model", "Software", "Product", "Dataset", "Hardware")
ROLES = ("research scientist", "research director", "professor", "engineer", "founder", "chief scientist", "student")
CURRENCIES = ("USD", "USD", "USD", "GBP", "EUR")
QUALIFIERS = ("exact", "about", "at least", "estimated")

_W1 = (
    "Deep",
    "Sparse",
    "Neural",
    "Latent",
    "Recurrent",
    "Convolutional",
    "Adversarial",
    "Residual",
    "Attentive",
    "Bayesian",
    "Contrastive",
    "Generative",
    "Hierarchical",
    "Probabilistic",
    "Symbolic",
    "Evolutionary",
)
_W2 = (
    "Vision",
    "Speech",
    "Language",
    "Game",
    "Planning",
    "Memory",
    "Reasoning",
    "Control",
    "Translation",
    "Retrieval",
    "Perception",
    "Dialogue",
    "Search",
    "Robotics",
    "Representation",
    "Knowledge",
)
_W3 = ("Network", "Machine", "Engine", "Transformer", "Agent", "System", "Learner", "Model", "Solver", "Net")
_ORG1 = (
    "Nova",
    "Vertex",
    "Helix",
    "Quanta",
    "Lumen",
    "Cobalt",
    "Aurora",
    "Meridian",
    "Summit",
    "Orbit",
    "Cedar",
    "Atlas",
    "Polaris",
    "Zenith",
    "Harbor",
    "Beacon",
)
_ORG2 = ("Labs", "Research", "Institute", "University", "AI", "Systems", "Computing", "Technologies", "Group")
_GIVEN = (
    "Ada",
    "Alan",
    "Grace",
    "John",
    "Marvin",
    "Claude",
    "Herbert",
    "Allen",
    "Judea",
    "Yann",
    "Geoffrey",
    "Fei",
    "Demis",
    "Ilya",
    "Daphne",
    "Andrew",
    "Yoshua",
    "Cynthia",
    "Rodney",
    "Margaret",
    "Karen",
    "Hiro",
)
_FAMILY = (
    "Turing",
    "Hopper",
    "McCarthy",
    "Minsky",
    "Shannon",
    "Simon",
    "Newell",
    "Pearl",
    "LeCun",
    "Hinton",
    "Li",
    "Hassabis",
    "Sutskever",
    "Koller",
    "Ng",
    "Bengio",
    "Breazeal",
    "Brooks",
    "Boden",
    "Jones",
    "Kitano",
)
_CITY = (
    "London",
    "Montreal",
    "Toronto",
    "Seoul",
    "Paris",
    "Tokyo",
    "Boston",
    "Zurich",
    "Berlin",
    "Beijing",
    "Edinburgh",
    "Pittsburgh",
    "Palo Alto",
    "Tel Aviv",
    "Bangalore",
    "Sydney",
)
_VERB = ("shows", "introduces", "demonstrates", "reports", "releases", "describes")


@dataclass(frozen=True)
class Stats:
    """What a generation produced."""

    milestones: int
    triples: int
    seconds: float

    @property
    def triples_per_milestone(self) -> float:
        return self.triples / self.milestones if self.milestones else 0.0

    @property
    def triples_per_second(self) -> float:
        return self.triples / self.seconds if self.seconds else 0.0


def _date(day: tuple[int, int, int]) -> str:
    return f'"{day[0]}-{day[1]:02d}-{day[2]:02d}"{_DATE}'


def _lit(text: str) -> str:
    return f'"{text}"@en'


def _int(n: int) -> str:
    return f'"{n}"{_INT}'


class _Writer:
    """Collects subject blocks and writes them in large chunks; counts triples."""

    def __init__(self, out: IO[str], chunk: int = 1024) -> None:
        self.out = out
        self.chunk = chunk
        self.triples = 0
        self._buf: list[str] = []

    def block(self, s: str, pairs: Sequence[tuple[str, str]]) -> None:
        self.triples += len(pairs)
        self._buf.append(self.render(s, pairs))
        if len(self._buf) >= self.chunk:
            self.flush()

    def render(self, s: str, pairs: Sequence[tuple[str, str]]) -> str:
        raise NotImplementedError

    def start(self) -> None:
        """Write whatever comes before the first triple."""

    def flush(self) -> None:
        self.out.write("".join(self._buf))
        self._buf.clear()


class _NTriples(_Writer):
    def render(self, s: str, pairs: Sequence[tuple[str, str]]) -> str:
        return "".join([f"{s} {p} {o} .\n" for p, o in pairs])


class _Turtle(_Writer):
    """Turtle with prefixed names and one block per subject (`;` between predicates)."""

    def __init__(self, out: IO[str], chunk: int = 1024) -> None:
        super().__init__(out, chunk)
        self._short: dict[str, str] = {}
        self._spaces = sorted(((f"<{ns}", p) for p, ns in PREFIXES.items()), key=lambda x: -len(x[0]))

    def start(self) -> None:
        self.out.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + "\n")

    def _term(self, t: str) -> str:
        short = self._short.get(t)
        if short is not None:
            return short
        if t[0] == "<":
            short = t
            for ns, p in self._spaces:
                if t.startswith(ns) and t.find("/", len(ns)) < 0 and t.find("#", len(ns)) < 0:
                    short = f"{p}:{t[len(ns) : -1]}"
                    break
            if len(self._short) < 100_000:  # bounded: resources are many, predicates and classes few
                self._short[t] = short
            return short
        if t[0] == '"' and "^^<" + XSD in t:
            return t.replace("^^<" + XSD, "^^xsd:")[:-1]
        return t

    def render(self, s: str, pairs: Sequence[tuple[str, str]]) -> str:
        term = self._term
        body = " ;\n    ".join([f"{'a' if p == A else term(p)} {term(o)}" for p, o in pairs])
        return f"{term(s)} {body} .\n\n"


class _Pool:
    """Resources of one kind made so far, numbered from 0: a counter, so memory stays constant.

    Picks favour early ones (a few big hubs, a long tail) or recent ones (people who work together now).
    """

    __slots__ = ("prefix", "n", "rnd")

    def __init__(self, kind: str, rnd: Callable[[], float]) -> None:
        self.prefix = f"<{RESOURCE}Gen_{kind}_"
        self.n = 0
        self.rnd = rnd

    def iri(self, i: int) -> str:
        return f"{self.prefix}{i}>"

    def add(self) -> str:
        self.n += 1
        return self.iri(self.n - 1)

    def hub_index(self) -> int:
        r = self.rnd()
        return int(self.n * r * r)

    def hub(self) -> str:
        return self.iri(self.hub_index())

    def recent(self, window: int = 40) -> str:
        return self.iri(self.n - 1 - int(min(self.n, window) * self.rnd()))

    def any(self) -> str:
        return self.iri(int(self.n * self.rnd()))

    def __len__(self) -> int:
        return self.n


def _res(kind: str, n: int | str) -> str:
    return f"<{RESOURCE}Gen_{kind}_{n}>"


class _Generator:
    def __init__(self, w: _Writer, milestones: int, seed: int) -> None:
        self.w = w
        self.n = milestones
        rng = random.Random(seed)
        self.r = rng.random
        r = self.r
        self.orgs, self.people = _Pool("Organisation", r), _Pool("Person", r)
        self.techniques, self.datasets = _Pool("Technique", r), _Pool("Dataset", r)
        self.metrics, self.venues, self.hardware = _Pool("Metric", r), _Pool("Venue", r), _Pool("Hardware", r)
        self.places, self.milestones = _Pool("Place", r), _Pool("Milestone", r)
        self.last_measurement: dict[str, str] = {}
        self.blank = 0
        self.counter = 0

    # Small helpers -------------------------------------------------------------------------------

    def pick(self, seq: Sequence[str]) -> str:
        return seq[int(len(seq) * self.r())]

    def next_id(self) -> int:
        self.counter += 1
        return self.counter

    def day(self, year: int) -> tuple[int, int, int]:
        r = self.r
        return year, 1 + int(12 * r()), 1 + int(28 * r())

    def date(self, year: int) -> str:
        return _date(self.day(year))

    def source(self, year: int) -> str:
        """Make a source document (a news story), described with a type and a label, and return its IRI."""
        k = self.next_id()
        iri = f"<https://news.example.org/{year}/story-{k}>"
        name = f"{self.pick(_ORG1)} News, story {k} ({year})"
        self.w.block(iri, [(A, C["Source"]), (LABEL, _lit(name)), (TITLE, f'"{name}"')])
        return iri

    def statement(self, name: str, s: str, p: str, o: str, source: str, rank: str | None = None,
                  reason: str | None = None) -> None:
        """Describe one statement with the document that makes it, as the curated graph does for all of its own."""
        pairs = [(A, STATEMENT_CLASS), (SUBJECT, s), (PREDICATE, p), (OBJECT, o), (DERIVED_FROM, source)]
        if rank is not None:
            pairs.append((P["statementRank"], _o(rank)))
        if reason is not None:
            pairs.append((P["rankReason"], _lit(reason)))
        self.w.block(f"<{STATEMENT}gen-{name}>", pairs)

    def title(self) -> str:
        p = self.pick
        return f"{p(_W1)} {p(_W2)} {p(_W3)}"

    # Pools ---------------------------------------------------------------------------------------

    def place(self) -> str:
        k = len(self.places)
        iri = self.places.add()
        self.w.block(iri, [(A, C["Place"]), (LABEL, _lit(f"{_CITY[k % len(_CITY)]} {k // len(_CITY) or ''}".strip()))])
        return iri

    def organisation(self, year: int) -> str:
        k = len(self.orgs)
        r = self.r
        iri = self.orgs.iri(k)
        name = f"{self.pick(_ORG1)} {self.pick(_ORG2)} {k}"
        founded = max(FIRST_YEAR - 40, year - int(30 * r()))
        pairs = [
            (A, C["Organisation"]),
            (LABEL, _lit(name)),
            (DESCRIPTION, _lit(f"A synthetic organisation that works on {self.pick(_W2).lower()}.")),
            (P["foundingDate"], f'"{founded}"{_GYEAR}'),
            (P["location"], self.places.any()),
        ]
        if len(self.people) and k % 4 == 2:  # one in four has a founding event with founders and funders
            self.founding(iri, founded, pairs)
        if k >= 4 and k % 5 in (1, 3):  # two in five have a parent; half of those were bought by it
            parent = self.orgs.hub()
            pairs.append((P["parentOrganisation"], parent))
            if k % 5 == 1:
                self.acquisition(parent, iri, max(founded, year - int(5 * r())), pairs)
            else:
                pairs.append((P["since"], f'"{founded}"{_GYEAR}'))
        self.orgs.add()
        self.w.block(iri, pairs)
        return iri

    def amount(self, iri: str, source: str, qualifier: str) -> None:
        self.w.block(
            iri,
            [
                (A, C["MonetaryAmount"]),
                (P["value"], f'"{int(1 + 999 * self.r())}000000"{_DEC}'),
                (P["currency"], f'"{self.pick(CURRENCIES)}"'),
                (P["qualifier"], f'"{qualifier}"'),
                (SOURCE, source),
            ],
        )

    def acquisition(self, buyer: str, bought: str, year: int, pairs: list[tuple[str, str]]) -> None:
        k = self.next_id()
        iri = _res("Acquisition", k)
        pairs.append((P["acquiredBy"], buyer))
        pairs.append((P["since"], f'"{year}"{_GYEAR}'))
        source = self.source(year)
        disclosed = self.r() < 0.5
        event = [
            (A, C["Acquisition"]),
            (LABEL, _lit(f"Acquisition {k}")),
            (P["acquirer"], buyer),
            (P["acquired"], bought),
            (P["date"], self.date(year)),
            (P["year"], _int(year)),
            (SOURCE, source),
            (P["priceDisclosed"], f'"{str(disclosed).lower()}"^^<{XSD}boolean>'),
        ]
        if disclosed:
            event.append((P["amount"], _res("Amount", k)))
            self.amount(_res("Amount", k), source, "exact")
        else:  # an undisclosed price: each press report is its own amount, with its own source
            for j in range(1 + int(3 * self.r())):
                report = _res("Amount", f"{k}_{j}")
                event.append((P["reportedPrice"], report))
                self.amount(report, self.source(year), self.pick(QUALIFIERS[1:]))
        self.w.block(iri, event)

    def founding(self, org: str, year: int, pairs: list[tuple[str, str]]) -> None:
        k = self.next_id()
        iri = _res("Founding", k)
        founders = list(dict.fromkeys(self.people.recent(30) for _ in range(1 + int(3 * self.r()))))
        funders = list(dict.fromkeys(self.people.hub() if self.r() < 0.5 else self.orgs.hub() for _ in range(2)))
        pairs += [(P["foundedBy"], f) for f in founders]
        source = self.source(year)
        self.w.block(
            iri,
            [
                (A, C["Founding"]),
                (LABEL, _lit(f"Founding {k}")),
                (P["founded"], org),
                (P["date"], self.date(year)),
                (P["year"], _int(year)),
                (P["location"], self.places.any()),
                (P["amount"], _res("Amount", k)),
                (SOURCE, source),
            ]
            + [(P["foundedBy"], f) for f in founders]
            + [(P["fundedBy"], f) for f in funders],
        )
        self.amount(_res("Amount", k), source, "at least")

    def match(self, k: int, model: str, year: int, date: str) -> str:
        """A match of a few games between a system and a person, with notable moves."""
        r = self.r
        iri = _res("Match", k)
        person = self.people.hub()
        games = 3 + int(3 * r())
        lost = int(games / 2 * r())
        self.w.block(
            iri,
            [
                (A, C["Match"]),
                (LABEL, _lit(f"Match {k}")),
                (P["participant"], model),
                (P["participant"], person),
                (P["winner"], model),
                (P["defeated"], person),
                (P["score"], f'"{games - lost}–{lost}"'),
                (P["date"], date),
                (P["year"], _int(year)),
                (P["location"], self.places.any()),
            ],
        )
        for g in range(1, games + 1):
            game = _res("Game", f"{k}_{g}")
            winner = person if g <= lost else model
            pairs = [
                (A, C["Game"]),
                (LABEL, _lit(f"Match {k}, game {g}")),
                (P["partOfEvent"], iri),
                (P["gameNumber"], _int(g)),
                (P["date"], date),
                (P["winner"], winner),
            ]
            if r() < 0.4:
                move = _res("Move", f"{k}_{g}")
                pairs.append((P["notableMove"], move))
                number = 1 + int(150 * r())
                self.w.block(
                    move,
                    [
                        (A, C["Move"]),
                        (LABEL, _lit(f"Move {number} of game {g}")),
                        (P["moveNumber"], _int(number)),
                        (P["playedBy"], winner),
                    ],
                )
            self.w.block(game, pairs)
        return iri

    def person(self, year: int) -> str:
        k = len(self.people)
        r = self.r
        iri = self.people.iri(k)
        org = self.orgs.hub() if r() < 0.5 else self.orgs.recent()
        aff = _res("Affiliation", k)
        start = year - int(10 * r())
        name = f"{self.pick(_GIVEN)} {self.pick(_FAMILY)}"
        role = self.pick(ROLES)
        source = self.source(year)
        pairs = [
            (A, C["Person"]),
            (LABEL, _lit(name)),
            (DESCRIPTION, _lit(f"A synthetic {role}.")),
            (P["affiliatedWith"], org),
            (P["affiliation"], aff),
            (SOURCE, source),
        ]
        self.w.block(
            aff,
            [
                (A, C["Affiliation"]),
                (LABEL, _lit(f"{name} as {role}")),
                (SOURCE, source),
                (P["organisation"], org),
                (P["role"], f'"{role}"'),
                (P["startDate"], f'"{start}"{_GYEAR}'),
                (P["endDate"], f'"{min(LAST_YEAR, start + 1 + int(12 * r()))}"{_GYEAR}'),
            ],
        )
        if len(self.orgs) > 1 and r() < 0.3:  # an earlier post elsewhere: careers cross organisations
            before = self.orgs.hub()
            if before != org:
                earlier = _res("Affiliation", f"{k}_0")
                pairs += [(P["affiliatedWith"], before), (P["affiliation"], earlier)]
                self.w.block(
                    earlier,
                    [
                        (A, C["Affiliation"]),
                        (P["organisation"], before),
                        (P["role"], f'"{self.pick(ROLES)}"'),
                        (P["startDate"], f'"{start - 1 - int(6 * r())}"{_GYEAR}'),
                        (P["endDate"], f'"{start}"{_GYEAR}'),
                    ],
                )
        self.w.block(iri, pairs)
        return self.people.add()

    def technique(self) -> str:
        k = len(self.techniques)
        iri = self.techniques.iri(k)
        pairs = [
            (A, C["Technique"]),
            (LABEL, _lit(f"{self.pick(_W1).lower()} {self.pick(_W2).lower()} method {k}")),
            (DESCRIPTION, _lit("A synthetic technique.")),
        ]
        if k >= 8:
            pairs.append((BROADER, self.techniques.hub()))
        self.w.block(iri, pairs)
        return self.techniques.add()

    def dataset(self, year: int) -> str:
        k = len(self.datasets)
        iri = self.datasets.iri(k)
        self.w.block(
            iri,
            [
                (A, C["Dataset"]),
                (LABEL, _lit(f"{self.pick(_W2)}Bench-{k}")),
                (DESCRIPTION, _lit("A synthetic benchmark dataset.")),
                (P["producedBy"], self.orgs.hub()),
                (P["releaseDate"], self.date(year)),
            ],
        )
        return self.datasets.add()

    def metric(self) -> str:
        k = len(self.metrics)
        label, unit, low, high = METRICS[k % len(METRICS)]
        iri = self.metrics.iri(k)
        variant = f" ({k // len(METRICS)})" if k >= len(METRICS) else ""
        self.w.block(
            iri,
            [
                (A, C["Metric"]),
                (LABEL, _lit(label + variant)),
                (DESCRIPTION, _lit(f"A synthetic metric: {label}.")),
            ],
        )
        return self.metrics.add()

    def venue(self) -> str:
        k = len(self.venues)
        iri = self.venues.iri(k)
        self.w.block(iri, [(A, C["Venue"]), (LABEL, _lit(f"Conference on {self.pick(_W2)} {k}"))])
        return self.venues.add()

    def hardware_item(self, year: int) -> str:
        k = len(self.hardware)
        iri = self.hardware.iri(k)
        self.w.block(
            iri,
            [
                (A, C["Hardware"]),
                (LABEL, _lit(f"Accelerator X{k}")),
                (DESCRIPTION, _lit("A synthetic accelerator.")),
                (P["producedBy"], self.orgs.hub()),
                (P["releaseDate"], self.date(year)),
            ],
        )
        return self.hardware.add()

    def era(self, k: int, eras: int) -> tuple[str, int, int]:
        span = LAST_YEAR - FIRST_YEAR
        start = FIRST_YEAR + (k * span) // eras
        # Consecutive, never overlapping: an era ends the year before the next starts (or shares its one year).
        end = LAST_YEAR if k == eras - 1 else max(start, FIRST_YEAR + ((k + 1) * span) // eras - 1)
        iri = _res("Era", k)
        self.w.block(
            iri,
            [
                (A, C["Era"]),
                (LABEL, _lit(f"Era {k}: {start}-{end}")),
                (DESCRIPTION, _lit(f"A synthetic era from {start} to {end}.")),
                (P["startYear"], _int(start)),
                (P["endYear"], _int(end)),
            ],
        )
        return iri, start, end

    # Per milestone -------------------------------------------------------------------------------

    def grow_pools(self, i: int, year: int) -> None:
        """Add new shared resources at fixed rates, so every pool grows with the milestones."""
        r = self.r
        if i % 50 == 0:
            self.place()
            self.venue()
        if i % 4 == 0 or len(self.orgs) < 3:
            self.organisation(year)
        for _ in range(2 + int(2 * r())):
            self.person(year)
        if i % 3 == 0 or len(self.techniques) < 8:
            self.technique()
        if i % 8 == 0:
            self.dataset(year)
        if i % 25 == 0 or len(self.metrics) < len(METRICS):
            self.metric()
        if i % 30 == 0:
            self.hardware_item(year)

    def paper(self, k: int, year: int, date: str, org: str) -> str:
        r = self.r
        iri = _res("Paper", k)
        authors = [self.people.recent(60) for _ in range(2 + int(7 * r()))]
        authors = list(dict.fromkeys(authors))
        pairs = [
            (A, C["Paper"]),
            (LABEL, _lit(f"{self.title()}s for {self.pick(_W2)} {self.pick(_W2)}")),
            (P["publicationDate"], date),
            (P["venue"], self.venues.any()),
            (P["producedBy"], org),
        ]
        pairs += [(P["author"], a) for a in authors]
        head = f"_:l{k}"
        pairs.append((P["authorList"], head))
        if year >= 1992:
            pairs.append((P["arxivId"], f'"{year % 100:02d}{1 + int(12 * r()):02d}.{k % 100000:05d}"'))
        doi = f"10.5555/aikg.{k}"
        pairs.append((P["doi"], f'"{doi}"'))
        pairs.append((SOURCE, f"<https://doi.org/{doi}>"))
        self.w.block(f"<https://doi.org/{doi}>", [(A, C["Source"]), (LABEL, _lit(f"DOI record {doi}")),
                                                  (TITLE, f'"DOI record {doi}"')])
        self.w.block(iri, pairs)
        for j, a in enumerate(authors):
            rest = f"_:l{k}_{j + 1}" if j + 1 < len(authors) else NIL
            self.w.block(head, [(FIRST, a), (REST, rest)])
            head = rest
        return iri

    def measurement(self, k: int, j: int, artefact: str, year: int, source: str) -> str:
        r = self.r
        index = self.metrics.hub_index()
        metric = self.metrics.iri(index)
        _, unit, low, high = METRICS[index % len(METRICS)]
        value = low + (high - low) * r()
        # Counts are whole numbers; rates and scores keep four significant digits.
        text = f'"{int(value)}"{_INT}' if unit == "NUM" else f'"{value:.4g}"{_DEC}'
        iri = _res("Measurement", f"{k}_{j}")
        pairs = [
            (A, C["Measurement"]),
            (LABEL, _lit(f"Measurement {k}.{j}")),
            (P["metric"], metric),
            (P["value"], text),
            (P["qualifier"], '"exact"'),
            (P["unit"], UNITS[unit]),
            (P["benchmark"], self.datasets.hub()),
            (P["achievedBy"], artefact),
            (P["date"], self.date(year)),
            (SOURCE, source),
        ]
        previous = self.last_measurement.get(metric)
        if previous is not None and r() < 0.5:
            pairs.append((P["comparedWith"], previous))
        self.last_measurement[metric] = iri
        self.w.block(iri, pairs)
        return iri

    def artefact(
        self, k: int, year: int, date: str, org: str, paper: str | None, source: str, kind: str | None = None
    ) -> tuple[str, str]:
        r = self.r
        kind = kind or self.pick(ARTEFACT_KINDS)
        # Datasets and hardware join their pools (later models train on them); the rest are named by milestone.
        iri = self.datasets.add() if kind == "Dataset" else self.hardware.add() if kind == "Hardware" else _res(kind, k)
        name = self.title() if kind == "Model" else f"{self.pick(_W1)}{self.pick(_W3)} {k}"
        pairs = [
            (A, C[kind]),
            (LABEL, _lit(name)),
            (DESCRIPTION, _lit(f"A synthetic {kind.lower()} made in {year}.")),
            (P["producedBy"], org),
            (P["releaseDate"], date),
        ]
        if r() < 0.3:
            pairs.append((ALT_LABEL, _lit(f"{name.split()[0]}-{k}")))
        if paper is not None:
            pairs.append((P["paper"], paper))
        if kind in ("Model", "Software", "Dataset"):
            pairs.append((P["introduces"], self.techniques.recent(10)))
            used = dict.fromkeys(self.techniques.hub() for _ in range(1 + int(2 * r())))
            pairs += [(P["uses"], t) for t in used]
        if kind == "Model":
            pairs.append((P["trainedOn"], self.datasets.hub()))
            if len(self.hardware) and r() < 0.5:
                pairs.append((P["trainingHardware"], self.hardware.hub()))
            pairs += [(P["measurement"], self.measurement(k, j, iri, year, source)) for j in range(1 + int(2.5 * r()))]
        elif kind == "Software":
            pairs.append((P["licence"], self.pick(LICENCES)))
            if k % 20 == 3 or r() < 0.2:  # sources disagree on when it came out: rank each claim, with its reason
                self.statement(f"{k}-release", iri, P["releaseDate"], date, source, "PreferredRank",
                               "The date its makers give.")
                self.statement(f"{k}-release-other", iri, P["releaseDate"], self.date(year + 1), self.source(year + 1),
                               "DeprecatedRank", "A later report's date, contradicted by its makers.")
        elif kind == "Product":
            self.w.block(
                _res("Release", k),
                [
                    (A, C["Release"]),
                    (LABEL, _lit(f"Launch of {name}")),
                    (P["released"], iri),
                    (P["date"], date),
                    (P["year"], _int(year)),
                    (P["location"], self.places.any()),
                    (P["participant"], org),
                ],
            )
        self.w.block(iri, pairs)
        return iri, kind

    def milestone(self, k: int, era: str, day: tuple[int, int, int]) -> str:
        r = self.r
        year = day[0]
        self.grow_pools(k, year)
        iri = self.milestones.iri(k)
        date = _date(day)
        org = self.orgs.hub() if r() < 0.6 else self.orgs.recent()
        source = self.source(year)
        paper = self.paper(k, year, date, org) if r() < 0.8 else None
        # Every twentieth milestone (offset 7) is a match a system plays; some software has disputed dates.
        forced = "Model" if k % 20 == 7 else "Software" if k % 20 == 3 else None
        about, kind = self.artefact(k, year, date, org, paper, source, forced)
        verb = self.pick(_VERB)
        pairs = [
            (A, C["Milestone"]),
            (LABEL, _lit(f"Milestone {k}: {verb} a new system")),
            (DESCRIPTION, _lit(f"A synthetic milestone of {year} in which an organisation {verb} its work.")),
            (P["date"], date),
            (P["year"], _int(year)),
            (P["era"], era),
            (P["about"], about),
            (P["producedBy"], org),
            (SOURCE, source),
        ]
        if r() < 0.5:
            pairs.append((ALT_LABEL, _lit(f"{self.title()} moment {k}")))
        people = dict.fromkeys(self.people.recent(60) for _ in range(2 + int(3 * r())))
        pairs += [(P["contributor"], p) for p in people]
        techniques = dict.fromkeys(self.techniques.hub() for _ in range(1 + int(3 * r())))
        pairs += [(P["uses"], t) for t in techniques]
        if kind == "Model":
            pairs.append((P["about"], self.datasets.hub()))
        if paper is not None:
            pairs += [(P["paper"], paper), (P["about"], paper), (SOURCE, f"<https://doi.org/10.5555/aikg.{k}>")]
        if len(self.milestones) and r() < 0.7:
            pairs.append((P["buildsOn"], self.milestones.recent(50)))
        if r() < 0.4:
            pairs.append((P["introduces"], self.techniques.recent(10)))
        if k % 20 == 7:
            pairs.append((P["about"], self.match(k, about, year, date)))
        self.w.block(iri, pairs)
        self.statement(f"{k}-date", iri, P["date"], date, source)
        return self.milestones.add()

    def run(self) -> None:
        self.w.start()
        self.place()
        self.venue()
        eras = max(1, -(-self.n // MILESTONES_PER_ERA))
        k = 0
        for e in range(eras):
            era, start, end = self.era(e, eras)
            members = []
            # Dates in order, so that links to earlier milestones point back in time.
            days = sorted(
                self.day(start + int((end - start + 1) * self.r())) for _ in range(min(MILESTONES_PER_ERA, self.n - k))
            )
            for day in days:
                members.append(self.milestone(k, era, day))
                k += 1
            self.w.block(era, [(P["hasMilestone"], m) for m in members])
        self.w.flush()


def generate(out: IO[str], milestones: int, seed: int = 0, fmt: str = "nt") -> Stats:
    """Write a synthetic graph of `milestones` milestones to a text stream, deterministically for a seed."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if milestones < 1:
        raise ValueError("the number of milestones must be at least 1")
    writer: _Writer = _NTriples(out) if fmt == "nt" else _Turtle(out)
    began = time.perf_counter()
    _Generator(writer, milestones, seed).run()
    return Stats(milestones, writer.triples, time.perf_counter() - began)


def milestones_for(triples: int) -> int:
    """Estimate the milestones that give about `triples` triples (from the measured triples per milestone)."""
    return max(1, round(triples / TRIPLES_PER_MILESTONE))


#: Measured on generated graphs (see `aikg generate`'s report); used to size graphs by triples.
TRIPLES_PER_MILESTONE = 123.5

"""The timeline (aikg.graph.timeline): order, date precision, filters, caching, and its page."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from aikg.graph import timeline
from aikg.namespaces import XSD
from aikg.web.http import get_store

R = "https://w3id.org/ai-history/resource/"
HTML = {"Accept": "text/html"}


def lit(value, datatype):
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


@pytest.mark.parametrize(("value", "datatype", "text", "machine", "precision"), [
    ("2012", "gYear", "2012", "2012", "year"),
    ("2016-03", "gYearMonth", "March 2016", "2016-03", "month"),
    ("2013-12-19", "date", "19 December 2013", "2013-12-19", "day"),
    ("2015-11-09T10:00:00Z", "dateTime", "9 November 2015", "2015-11-09", "day"),
])
def test_dates_keep_their_precision(value, datatype, text, machine, precision):
    w = timeline.when(lit(value, datatype))
    assert (w.text, w.machine, w.precision) == (text, machine, precision)


def test_unreadable_date_is_none():
    assert timeline.when(ox.Literal("sometime in the sixties")) is None


def test_tiny_timeline_in_order_with_facets(app):
    line = timeline.timeline(get_store(app))
    assert [e.iri for e in line.entries] == [R + "Test_DQN_2013", R + "Test_AlphaGo_2016"]
    assert [e.when.text for e in line.entries] == ["19 December 2013", "March 2016"]
    assert [e.era.label for e in line.entries] == ["Test era", "Test era"]
    assert line.entries[0].organisations[0].label == "Test DeepMind"
    assert line.entries[1].techniques == ()  # the milestone states no technique of its own
    assert [e.label for e in line.eras] == ["Test era"]
    assert timeline.timeline(get_store(app)) is line  # cached per data version


def test_filters(app):
    line = timeline.timeline(get_store(app))
    assert len(line.filter(org=R + "Test_DeepMind")) == 2
    # Test DeepMind's parent is Test Google: filtering by the parent includes its sub-organisation's work.
    assert len(line.filter(org=R + "Test_Google")) == 2
    assert line.filter(org=R + "Test_Google", era=R + "No_Era") == []


def test_shipped_person_filter_includes_papers(full_app):
    line = timeline.timeline(get_store(full_app))
    found = [e.iri for e in line.filter(person=R + "Ilya_Sutskever")]
    # A contributor to AlexNet, word2vec and OpenAI's founding, and an author of the AlphaGo paper.
    assert found == [R + "AlexNet_wins_ILSVRC_2012", R + "Word2vec_published_2013", R + "OpenAI_founded_2015",
                     R + "AlphaGo_defeats_Lee_Sedol_2016"]
    alexnet = line.entries[0]
    assert alexnet.when.text == "2012" and alexnet.when.precision == "year"


def test_page_shows_precision_and_filters(client):
    page = client.get("/timeline", headers=HTML).get_data(as_text=True)
    assert '<time datetime="2013-12-19">19 December 2013</time>' in page
    assert '<time datetime="2016-03">March 2016</time>' in page
    filtered = client.get("/timeline", query_string={"org": R + "Test_DeepMind"}, headers=HTML)
    assert filtered.status_code == 200
    assert "2 of 2 milestones" in filtered.get_data(as_text=True)
    by_label = client.get("/timeline", query_string={"org": "Test DeepMind"}, headers=HTML)
    assert "2 of 2 milestones" in by_label.get_data(as_text=True)


def test_page_refuses_unknown_filter_values(client):
    response = client.get("/timeline", query_string={"person": "Nobody At All"}, headers=HTML)
    assert response.status_code == 400
    assert "Nobody At All" in response.get_data(as_text=True)


def test_shipped_page_filter_by_deepmind(full_client):
    page = full_client.get("/timeline", query_string={"org": "DeepMind"}, headers=HTML).get_data(as_text=True)
    assert "3 of 11 milestones" in page
    assert page.index("DQN learns to play Atari games") < page.index("AlphaGo defeats Lee Sedol") < page.index(
        "AlphaGo Zero learns Go from scratch")


# -- a timeline of hundreds of milestones is read a page at a time ---------------------------------

@pytest.fixture(scope="module")
def big_app(tmp_path_factory):
    import io

    from aikg.ingest.generate import generate
    from aikg.web.app import create_app

    text = io.StringIO()
    generate(text, 250, seed=7)
    path = tmp_path_factory.mktemp("big") / "big.nt"
    path.write_text(text.getvalue())
    return create_app({"DATA": [str(path)], "VALIDATE": False})


def test_pages_cut_the_ordered_entries(big_app):
    entries = timeline.timeline(get_store(big_app)).entries
    assert len(entries) == 250
    first, last = timeline.page(entries, 1, 100), timeline.page(entries, 3, 100)
    assert (first.pages, first.total, first.start, len(first.entries)) == (3, 250, 1, 100)
    assert (last.number, last.start, len(last.entries)) == (3, 201, 50)
    assert first.entries + timeline.page(entries, 2, 100).entries + last.entries == entries
    assert timeline.page(entries, 99, 100).number == 3  # past the end: the last page
    # Each year is listed once, with its count and the page where it starts.
    years = {y: (n, at) for y, n, at in first.years}
    assert sum(n for n, _ in years.values()) == sum(1 for e in entries if (e.when or e.year))
    for year, (_, at) in years.items():
        starts = [i for i, e in enumerate(entries) if (e.when.year if e.when else e.year) == year]
        assert at == starts[0] // 100 + 1


def test_choices_keep_the_most_frequent_and_the_chosen():
    facets = [timeline.Facet(f"x{i}", f"Label {i:03d}", count=i) for i in range(10)]
    offered = timeline.choices(facets, "x0", limit=3)
    assert [f.iri for f in offered] == ["x0", "x7", "x8", "x9"]  # in the given (label) order
    assert timeline.choices(facets, None, limit=20) == facets


def test_offered_values_are_worked_out_once_and_keep_the_chosen(big_app):
    line = timeline.timeline(get_store(big_app))
    people = line.facets["person"]
    assert len(people) > timeline.FACET_CHOICES  # enough people that the list is cut
    assert line.offered("person") == timeline.choices(people, None)
    assert len(line.offered("person")) == timeline.FACET_CHOICES
    rare = sorted(people, key=lambda f: (-f.count, f.label.casefold()))[-1]  # the last the cut would keep
    assert rare not in line.offered("person")
    assert line.offered("person", rare.iri) == timeline.choices(people, rare.iri)
    assert rare in line.offered("person", rare.iri)


def test_page_links_to_later_pages_and_years(big_app):
    client = big_app.test_client()
    one = client.get("/timeline", headers=HTML).get_data(as_text=True)
    two = client.get("/timeline?page=2", headers=HTML).get_data(as_text=True)
    assert one.count('<li class="entry"') == timeline.PAGE_SIZE
    assert 'rel="next" href="/timeline?page=2"' in one and 'rel="prev"' not in one
    size = timeline.PAGE_SIZE
    assert 'rel="prev" href="/timeline"' in two and f"{size + 1}–{2 * size} of 250" in two
    entries = timeline.timeline(get_store(big_app)).entries
    link = f'/resource/{entries[size].iri.rsplit("/", 1)[1]}.html"'
    listed = [page.split('<ol class="timeline"', 1)[1] for page in (one, two)]  # the list, under the picture
    assert link in listed[1] and link not in listed[0]
    assert 'aria-label="Jump to a year"' in one


def test_bad_page_number_is_a_400(big_app):
    response = big_app.test_client().get("/timeline?page=zero", headers=HTML)
    assert response.status_code == 400 and "page must be a whole number" in response.get_data(as_text=True)


def test_home_lists_a_few_milestones_per_era(big_app):
    from urllib.parse import quote

    from aikg.web.pages import HOME_MILESTONES

    line = timeline.timeline(get_store(big_app))
    crowded = max(line.eras, key=lambda era: len(line.era_entries(era.iri)))
    assert len(line.era_entries(crowded.iri)) > HOME_MILESTONES
    html = big_app.test_client().get("/", headers=HTML).get_data(as_text=True)
    assert f"All {len(line.era_entries(crowded.iri))} milestones of this era" in html
    era_link = f"/timeline?era={quote(crowded.iri, safe='')}"
    section = html.split(era_link)[0].rsplit("<section", 1)[1]
    assert section.count("<li>") == HOME_MILESTONES


# -- the timeline as a picture ---------------------------------------------------------------------

def test_kinds_and_year_filters(big_app):
    line = timeline.timeline(get_store(big_app))
    years = [e.year_of for e in line.entries if e.year_of is not None]
    low, high = min(years), max(years)
    assert low <= 1952 and high >= 2023  # the generated graph spans 1950-2025
    middle = line.filter(since=1990, until=1999)
    assert middle and all(1990 <= e.year_of <= 1999 for e in middle)
    assert len(middle) == sum(1 for y in years if 1990 <= y <= 1999)
    kinds = {e.kind for e in line.entries}
    assert kinds <= set(timeline.ABOUT_KINDS) | {"other"} and len(kinds) > 1
    some = next(iter(kinds))
    assert all(e.kind == some for e in line.filter(kind=some))


@pytest.mark.parametrize("mode", ["org", "kind"])
def test_the_picture_holds_every_dated_milestone_once_without_overlap(big_app, mode):
    from aikg.web import picture

    line = timeline.timeline(get_store(big_app))
    drawn = picture.draw(line.entries, line.eras, mode)
    assert drawn.first <= min(e.year_of for e in line.entries) and drawn.last > max(e.year_of for e in line.entries)
    assert len(drawn.marks) + drawn.counted + drawn.undated == len(line.entries)
    assert len({m.iri for m in drawn.marks}) == len(drawn.marks)
    assert sum(lane.count for lane in drawn.lanes) == len(line.entries) - drawn.undated
    # Marks of one row are a target's width apart at least; rows a target's height apart.
    rows: dict[float, list[float]] = {}
    for m in drawn.marks:
        rows.setdefault(m.y, []).append(m.x)
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= picture.TARGET for a, b in zip(xs, xs[1:], strict=False))
    ys = sorted(rows)
    assert all(b - a >= picture.TARGET for a, b in zip(ys, ys[1:], strict=False))
    # Proportional: a mark sits where its date falls on the axis.
    scale = picture.PLOT / (drawn.last - drawn.first)
    for m in drawn.marks[:50]:
        assert abs(m.x - (picture.LEFT + (picture._position(m.entry) - drawn.first) * scale)) < 1e-6
    if mode == "org":
        assert len(drawn.lanes) <= picture.MAX_LANES + 2


def test_a_crowded_column_opens_the_list_of_what_it_holds(big_app):
    from aikg.web import picture

    line = timeline.timeline(get_store(big_app))
    drawn = picture.draw(line.entries, line.eras, "org")
    cluster = max(drawn.clusters, key=lambda c: c.count)
    args = {k: str(v) for k, v in cluster.filters.items()}
    html = big_app.test_client().get("/timeline", query_string=args, headers=HTML).get_data(as_text=True)
    listed = timeline.page(line.filter(since=cluster.since, until=cluster.until,
                                       org=args.get("org")), 1).total
    assert listed >= cluster.count
    assert f"{listed} of 250 milestones" in html or f"of {listed} milestones matching" in html


def test_timeline_page_arguments_are_checked(client):
    for args in ({"lanes": "sideways"}, {"from": "soon"}, {"to": "0"}, {"kind": "ghost"}):
        assert client.get("/timeline", query_string=args, headers=HTML).status_code == 400, args
    assert client.get("/timeline", query_string={"lanes": "kind", "from": "2013"}, headers=HTML).status_code == 200

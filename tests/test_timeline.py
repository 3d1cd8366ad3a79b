"""The timeline (aikg.timeline): order, date precision, filters, caching, and its page."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from aikg import timeline
from aikg.app import get_store
from aikg.namespaces import XSD

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

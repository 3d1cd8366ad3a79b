"""`aikg ask`: the named queries from the shell."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from aikg.cli import cli
from aikg.graph import catalogue as cat
from aikg.namespaces import RESOURCE

R = RESOURCE
TINY = str(Path(__file__).parent / "data" / "tiny.ttl")


def test_ask_lists_the_queries(runner):
    result = runner.invoke(cli, ["ask"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.output.splitlines() if line.strip()]
    assert names == cat.shipped().names()


def test_help_lists_the_parameters(runner):
    result = runner.invoke(cli, ["ask", "produced-by", "--help"])
    assert result.exit_code == 0
    for option in ("--org", "--subsidiaries", "--format", "--show-query", "--data"):
        assert option in result.output
    assert "What did an organisation produce?" in result.output
    lineage = runner.invoke(cli, ["ask", "lineage", "--help"]).output
    assert "--item" in lineage and "--depth" in lineage


def test_produced_by_deepmind_on_the_shipped_data(runner):
    result = runner.invoke(cli, ["ask", "produced-by", "--org", "DeepMind", "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    dates = {row["milestone"]: row["date"] for row in body["rows"]}
    assert set(dates) == {R + "DQN_masters_Atari_2013", R + "AlphaGo_defeats_Lee_Sedol_2016",
                          R + "AlphaGo_Zero_learns_from_scratch_2017"}
    assert dates[R + "AlphaGo_Zero_learns_from_scratch_2017"] == "2017-10-19"


def test_table_and_csv(runner):
    table = runner.invoke(cli, ["ask", "produced-by", "--org", "Test DeepMind", "--data", TINY])
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split()[:3] == ["milestone", "milestoneLabel", "date"]
    assert any("aikgr:Test_DQN_2013" in line for line in lines[2:])
    out = runner.invoke(cli, ["ask", "produced-by", "--org", "Test DeepMind", "--data", TINY, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert {r["milestone"] for r in rows} == {R + "Test_DQN_2013", R + "Test_AlphaGo_2016"}


def test_subsidiaries_flag(runner):
    base = ["ask", "produced-by", "--org", "Google", "--format", "json"]
    alone = {r["milestone"] for r in json.loads(runner.invoke(cli, base).output)["rows"]}
    family = {r["milestone"] for r in json.loads(runner.invoke(cli, [*base, "--subsidiaries"]).output)["rows"]}
    assert R + "AlphaGo_defeats_Lee_Sedol_2016" in family - alone
    assert R + "DQN_masters_Atari_2013" not in family


def test_show_query_prints_the_bound_query(runner):
    result = runner.invoke(cli, ["ask", "produced-by", "--org", "Test DeepMind", "--data", TINY, "--show-query"])
    assert result.exit_code == 0
    assert f"<{R}Test_DeepMind>" in result.output and "VALUES (?org ?subsidiaries)" in result.output


def test_errors_exit_with_a_message_and_candidates(runner):
    result = runner.invoke(cli, ["ask", "produced-by", "--org", "Test", "--data", TINY])
    assert result.exit_code == 2
    assert "No organisation is labelled 'Test'" in result.output
    assert R + "Test_DeepMind" in result.output and R + "Test_Google" in result.output
    missing = runner.invoke(cli, ["ask", "produced-by", "--data", TINY])
    assert missing.exit_code == 2 and "'org' is required" in missing.output
    assert runner.invoke(cli, ["ask", "no-such-query"]).exit_code == 2
    bad_year = runner.invoke(cli, ["ask", "milestones-between", "--from", "soon", "--data", TINY])
    assert bad_year.exit_code == 2 and "whole number" in bad_year.output


def test_optional_options(runner):
    result = runner.invoke(cli, ["ask", "milestones-between", "--from", "2014", "--data", TINY, "--format", "json"])
    assert [r["milestone"] for r in json.loads(result.output)["rows"]] == [R + "Test_AlphaGo_2016"]


def test_repeatable_options(runner):
    args = ["ask", "technique-uses", "--technique", "residual connection", "--technique", "dropout", "--format", "json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    items = {r["item"] for r in json.loads(result.output)["rows"]}
    # ResNet introduced residual connections; AlexNet used dropout.
    assert {R + "ResNet_wins_ILSVRC_2015", R + "AlexNet_wins_ILSVRC_2012"} <= items

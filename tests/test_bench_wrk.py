"""The benchmark's reading of wrk: a run whose latencies disagree with its throughput is marked, not believed."""

from __future__ import annotations

import dataclasses

from bench.report import _p99
from bench.wrk import parse

# wrk's report of a serving-benchmark run (repeated 200-row SELECT, 8 connections): 3,373 requests a second
# at a mean of 37 ms would need 125 requests in flight on 8 connections.
DISAGREES = """Running 5s test @ http://127.0.0.1:46337/sparql
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    37.19ms  137.99ms 882.04ms   93.72%
    Req/Sec     1.70k   459.11     3.01k    75.00%
  Latency Distribution
     50%    2.04ms
     75%    2.57ms
     90%    6.45ms
     99%  770.34ms
  16994 requests in 5.04s, 1.10GB read
Requests/sec:   3372.68
Transfer/sec:    223.41MB
"""

# The same query on the bare server in the same benchmark: 863 a second at 9 ms is 7.8 in flight.
AGREES = """Running 5s test @ http://127.0.0.1:43005/sparql
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     9.04ms    1.73ms  22.70ms   71.02%
    Req/Sec   434.51     31.22   510.00     69.00%
  Latency Distribution
     50%    8.69ms
     75%    9.90ms
     90%   11.20ms
     99%   14.16ms
  4400 requests in 5.10s, 283.69MB read
Requests/sec:    862.75
Transfer/sec:     55.62MB
"""


def test_the_mean_latency_is_read():
    assert parse(DISAGREES).mean_ms == 37.19
    assert parse(AGREES).mean_ms == 9.04


def test_latencies_that_need_more_requests_in_flight_than_connections_are_marked():
    bad = dataclasses.replace(parse(DISAGREES), connections=8)
    good = dataclasses.replace(parse(AGREES), connections=8)
    assert not bad.latencies_hold and good.latencies_hold
    assert _p99(bad) == "770.3 ‡" and _p99(good) == "14.2"


def test_a_run_of_unknown_connections_is_not_judged():
    assert parse(DISAGREES).latencies_hold  # parsed alone: the connections are the caller's to give

"""Benchmarks: aikg's endpoint side by side with the Oxigraph server and a bare Flask app, and scale runs.

Run `python -m bench --help`. Results go to bench/results/<timestamp>.md with a latency plot.
"""

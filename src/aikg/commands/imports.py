"""`aikg import`: turn outside datasets into RDF files of data/, each its own named graph."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import click

from aikg.errors import InvalidData
from aikg.namespaces import GRAPH

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("import")
def import_group() -> None:
    """Import an outside dataset (Epoch AI's notable models) as RDF, reconciled with the curated graph."""


@import_group.command("epoch")
@click.argument("csv_file", type=_FILE)
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=None,
              help="The Turtle file to write ('-' for standard output; default: data/epoch/notable-ai-models.ttl).")
@click.option("--strict", is_flag=True, help="Fail, writing nothing, when any cell or row is refused.")
@click.option("--reconciliation", type=_FILE, default=None,
              help="The reviewed decisions (default: data/epoch/reconciliation.csv).")
@click.option("--curated", multiple=True, type=_FILE,
              help="The curated data files to reconcile with (default: the shipped data outside data/epoch/).")
@click.option("--snapshot-date", default=None,
              help="The date of the snapshot, YYYY-MM-DD or YYYY-MM (default: looked up by its SHA-256 in "
                   "data/epoch/snapshots.csv).")
@click.option("--summary", "summary_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print the summary (on standard error).")
def epoch(csv_file: Path, output: Path | None, strict: bool, reconciliation: Path | None, curated: tuple[Path, ...],
          snapshot_date: str | None, summary_format: str) -> None:
    """Import Epoch AI's "Notable AI Models" CSV (https://epoch.ai/data/notable-ai-models, CC BY 4.0)."""
    from aikg.ingest import epoch as ep

    target = output or ep.default_output()
    stem = "notable-ai-models" if str(target) == "-" else target.stem
    decisions = reconciliation or ep.default_decisions()
    result = ep.import_epoch(
        csv_file,
        graph=GRAPH + stem,
        curated=list(curated) or ep.default_curated(None if str(target) == "-" else target),
        decisions=decisions if decisions.exists() else None,
        snapshot_date=snapshot_date,
    )
    summary = result.summary
    if summary_format == "json":
        click.echo(json.dumps(_summary_json(summary), ensure_ascii=False, indent=2), err=True)
    else:
        click.echo(summary.text(), err=True, nl=False)
    if strict and summary.refused:
        raise InvalidData(f"--strict: {len(summary.refused)} cells or rows were refused (listed above); "
                          "nothing was written.")
    if str(target) == "-":
        result.write(sys.stdout)
        sys.stdout.flush()
        return
    _write_atomically(target, result.write)
    click.echo(f"Wrote {target}.", err=True)


def _write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write a file so that a reader sees the old one or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            write(f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; the data is for everyone
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _summary_json(summary: object) -> dict[str, object]:
    from aikg.ingest.epoch import Summary

    assert isinstance(summary, Summary)
    return {
        "source": summary.source,
        "sha256": summary.sha256,
        "snapshot_date": summary.snapshot_date,
        "rows_read": summary.rows_read,
        "models_written": summary.models_written,
        "triples": summary.triples,
        "facts": {summary.columns[k]: summary.facts.get(summary.columns[k], 0) for k in summary.columns},
        "refused": [vars(r) for r in summary.refused],
        "not_imported": summary.not_imported,
        "excluded": summary.excluded,
        "absent": summary.absent,
        "ambiguous": [{"kind": m.kind, "name": m.name, "note": m.note} for m in summary.ambiguous],
        "reconciled": [{"kind": m.kind, "name": m.name, "iri": m.iri, "how": m.how, "note": m.note}
                       for m in summary.reconciled],
        "pending": summary.pending,
    }


COMMANDS = [import_group]

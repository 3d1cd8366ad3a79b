"""The aikg command line: one click group; each family of commands lives in aikg/commands/."""

from __future__ import annotations

import sys
from typing import Any

import click

from aikg import __version__
from aikg.errors import AikgError


class AikgGroup(click.Group):
    """A group that turns aikg errors into a message and the error's exit code (never a traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AikgError as e:
            click.echo(f"Error: {e.message}", err=True)
            report = getattr(e, "report", None)
            if report is not None and hasattr(report, "text"):
                click.echo(report.text() if callable(report.text) else report.text, err=True)
            ctx.exit(e.exit_code)


@click.group(cls=AikgGroup)
@click.version_option(__version__, prog_name="aikg")
def cli() -> None:
    """aikg: a knowledge graph of the history of artificial intelligence."""


def _register() -> None:
    import importlib
    import pkgutil

    import aikg.commands as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"aikg.commands.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            cli.add_command(command)


_register()


def main() -> None:
    """Run the CLI (the `aikg` console script)."""
    cli(prog_name="aikg", args=sys.argv[1:])

"""aikg: a knowledge graph of the history of artificial intelligence."""

__version__ = "0.1.0"

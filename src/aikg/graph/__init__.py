"""A store in, dataclasses out: descriptions, labels, search, paths, timeline, the named-query catalogue."""

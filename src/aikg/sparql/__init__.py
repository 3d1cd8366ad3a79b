"""The query text and its answers: the query's structure, result types and writers, formats, VALUES binding."""

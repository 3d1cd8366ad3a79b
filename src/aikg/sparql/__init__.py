"""The query text and its answers: one lexer, the query's structure, result types and writers, formats, VALUES."""

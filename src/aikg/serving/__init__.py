"""The process model of `aikg serve`: the HTTP front and its workers."""

"""Files to a store: parse once, validate with SHACL, load, publish, and the synthetic generator."""

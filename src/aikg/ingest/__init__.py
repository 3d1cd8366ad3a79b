"""Files to a store: parse once, validate with SHACL, load, publish, the synthetic generator, and the importers of
outside datasets (epoch.py: Epoch AI's notable models)."""

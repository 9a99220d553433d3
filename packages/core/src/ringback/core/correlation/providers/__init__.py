"""One extractor per provider or provider family; each returns a `Correlation`."""

//! The model store: the catalog, the cache directory, fetching and verifying (being built).

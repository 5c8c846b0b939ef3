"""The container server and its SQLite broker."""

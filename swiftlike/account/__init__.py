"""The account server and its SQLite broker."""

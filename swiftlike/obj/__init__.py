"""The object server and its storage."""

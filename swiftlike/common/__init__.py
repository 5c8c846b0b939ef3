"""The shared kit of every service: WSGI base, config, HTTP helpers, timestamps.
Imports no service package."""

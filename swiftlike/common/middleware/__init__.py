"""WSGI filters, one module each, on the shared Middleware base."""

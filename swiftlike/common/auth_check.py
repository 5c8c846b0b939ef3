"""Asking the auth filter whether a request may go on: the proxy and any
filter that acts for a client (versioning, quotas) ask it the same way."""

from __future__ import annotations

from webob import Request, Response

from swiftlike.common import env_keys


def authorize(req: Request, acl: str | None = None) -> Response | None:
    """The auth filter's answer (None: allowed; no auth filter: allowed);
    ``acl`` is the container ACL that applies, if any."""
    check = req.environ.get(env_keys.AUTHORIZE)
    if check is None:
        return None
    if acl is not None:
        req.environ[env_keys.ACL] = acl
    answer: Response | None = check(req)
    return answer

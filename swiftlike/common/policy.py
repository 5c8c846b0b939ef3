"""The one storage policy: swiftlike keeps every object the same way (the
object ring), which /info and listings name as Swift's default policy."""

from __future__ import annotations

from typing import Final

from webob import exc

#: The name /info, container heads and account listings give the policy.
DEFAULT_POLICY: Final = 'Policy-0'


def check_policy(value: str | None) -> None:
    """A container PUT's ``X-Storage-Policy``: absent, empty or the policy's name (any case).

    :raises HTTPBadRequest: for any other name
    """
    if value and value.strip().lower() != DEFAULT_POLICY.lower():
        raise exc.HTTPBadRequest(body=f'Invalid X-Storage-Policy {value[:64]!r}', content_type='text/plain')

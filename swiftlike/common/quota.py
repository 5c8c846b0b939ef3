"""What the account and container quota filters share: checking a quota
value a client sets, reading an account's or container's usage with a HEAD
through the rest of the pipeline, and the size an upload adds.

Neither filter may answer 413 to a request its sender could not make anyway:
:func:`may_write` asks the auth filter first (so a stranger learns nothing
of a quota, and cannot make the proxy look up usage for every request).

Whether an account or container has a quota is read from
:mod:`swiftlike.common.infocache` (shared with the proxy, dropped when it is
written), so the usual PUT costs no look-up of its own; where there is a
quota, usage is read afresh for every PUT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from webob import Request, Response, exc

from swiftlike.common import env_keys, subrequest
from swiftlike.common.auth_check import authorize
from swiftlike.common.infocache import Info
from swiftlike.common.numbers import NumberError, parse_int
from swiftlike.common.wsgi import WsgiApp

#: Swift's answer to an upload over a quota.
OVER_QUOTA: Final = 'Upload exceeds quota.'


def has_quota(info: Info, names: tuple[str, ...]) -> bool:
    """Whether an account's or container's :mod:`infocache` Info sets any of
    the quota headers ``names``: the usual PUT, where none is set, costs no
    look-up beyond the one the proxy makes anyway."""
    return any(info.get(name) for name in names)


def check_value(name: str, value: str) -> None:
    """A quota header's value: whole bytes or objects, ASCII digits, or
    empty (removes the quota).

    :raises HTTPBadRequest: naming the header
    """
    if value == '':
        return
    try:
        parse_int(value, what=name)
    except NumberError as err:
        raise exc.HTTPBadRequest(body=f'Invalid {name}: {err}\n', content_type='text/plain') from None


def stored_int(headers: Mapping[str, str], name: str) -> int | None:
    """A quota or usage number as stored, or None if unset (or, having got
    past :func:`check_value`, somehow not a number)."""
    try:
        return parse_int(headers.get(name) or None)
    except NumberError:
        return None


def head(app: WsgiApp, environ: dict[str, Any], path: str) -> Response | None:
    """The answer to a HEAD of ``path`` (text, ``/v1/...``) through ``app``
    that no auth check refuses, or None if it is not a 2xx."""
    env = subrequest.environ_for(environ, 'HEAD', path)
    env[env_keys.AUTHORIZE] = lambda _req: None
    env[env_keys.AUTHORIZE_OVERRIDE] = True
    resp = Request(env).get_response(app)
    subrequest.close(resp)
    return resp if resp.status_int // 100 == 2 else None


def may_write(req: Request, write_acl: str) -> bool:
    """Whether the auth filter (if any) lets ``req`` write, under the
    container's write ACL ``write_acl``."""
    return authorize(req, write_acl) is None


def upload_size(req: Request) -> int:
    """The bytes a PUT adds as far as known before it is read (0 for a
    chunked upload: see :func:`put_within`)."""
    return req.content_length or 0


class _QuotaInput:
    """A request body that fails (OSError, as a client that went away)
    once more than ``allowed`` bytes were read from it."""

    def __init__(self, stream: Any, allowed: int) -> None:
        self.stream = stream
        self.left = allowed
        self.tripped = False

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.stream.read(size)
        self.left -= len(data)
        if self.left < 0:
            self.tripped = True
            raise OSError('upload exceeds quota')
        return data


def put_within(app: WsgiApp, req: Request, allowed: int | None) -> Response | None:
    """A chunked PUT (its size unknown) that may add at most ``allowed``
    bytes: passed on with its body counted, and a 413 (the object not
    stored) if it turns out larger. None (pass on as is) for any other."""
    if allowed is None or req.content_length is not None:
        return None
    body = _QuotaInput(req.environ['wsgi.input'], allowed)
    req.environ['wsgi.input'] = body
    resp = req.get_response(app)
    if body.tripped:
        subrequest.close(resp)
        return too_large()
    return resp


def over(quota: int | None, used: int | None, adding: int) -> bool:
    """Whether ``used + adding`` would pass ``quota`` (no quota: never).

    >>> over(10, 0, 10), over(10, 0, 11), over(None, 5, 5), over(0, None, 1)
    (False, True, False, True)
    """
    return quota is not None and (used or 0) + adding > quota


def too_large() -> Response:
    """The 413 for an upload over a quota."""
    return exc.HTTPRequestEntityTooLarge(body=OVER_QUOTA, content_type='text/plain')

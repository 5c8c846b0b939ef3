"""What the versioning filters need to know about a container (its write
ACL and versioning system metadata), read with one HEAD made on behalf of
the container's owner, and the owner's sub-requests themselves.

A sub-request "as the owner" carries no authorize callback, so the proxy
lets it through: callers must have authorized the client first. What is
known of a container comes from :mod:`swiftlike.common.infocache` (one
look-up per client request, shared by every proxy process). This module
must not decide anything about versioning itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from webob import Request, Response

from swiftlike.common import env_keys, infocache, subrequest
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.request import split_path
from swiftlike.common.wsgi import WsgiApp

#: Container sysmeta: the legacy archive container (URL-quoted) and mode (stack/history).
LOCATION: Final = 'X-Container-Sysmeta-Versions-Location'
MODE: Final = 'X-Container-Sysmeta-Versions-Mode'
#: Container sysmeta: object versioning (the newer kind) is on ('true'/'false'; absent: never set).
ENABLED: Final = 'X-Container-Sysmeta-Versions-Enabled'


@dataclass(frozen=True)
class ContainerState:
    """A container's versioning state (``status`` is the HEAD's)."""

    status: int
    write_acl: str = ''
    read_acl: str = ''
    location: str = ''
    mode: str = ''
    enabled: str = ''

    @property
    def exists(self) -> bool:
        return self.status // 100 == 2


def owner_environ(environ: dict[str, Any], method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """A sub-request environ without the client's authorize callback."""
    env = subrequest.environ_for(environ, method, path, **kwargs)
    env.pop(env_keys.AUTHORIZE, None)
    return env


def owner_call(app: WsgiApp, environ: dict[str, Any], method: str, path: str, **kwargs: Any) -> Response:
    """The answer of ``app`` to a sub-request made as the owner (body unread)."""
    return Request(owner_environ(environ, method, path, **kwargs)).get_response(app)


def split_v1(req: Request) -> tuple[str, str, str] | None:
    """``(account, container, object or '')`` of a /v1 container or object request, else None."""
    try:
        version, account, container, obj = split_path(subrequest.path_of(req), 1, 4, rest_with_last=True)
    except (ConstraintError, UnicodeDecodeError):
        return None
    if version not in ('v1', 'v1.0') or not account or not container:
        return None
    return account, container, obj or ''


def lookup(app: WsgiApp, environ: dict[str, Any], account: str, container: str) -> ContainerState:
    """The versioning state of ``/account/container`` (from :mod:`infocache`)."""
    info = infocache.info_of(app, environ, account, container)
    return ContainerState(info.status, info.get('X-Container-Write'), info.get('X-Container-Read'),
                          info.get(LOCATION), info.get(MODE), info.get(ENABLED).lower())


def forget(environ: dict[str, Any], account: str, container: str) -> None:
    """Drop what is known of a container (after a write to its metadata)."""
    infocache.forget(environ, infocache.key(account, container))

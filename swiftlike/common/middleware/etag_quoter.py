"""RFC 7232 entity tags (``ETag: "<md5>"``, quoted) in object answers, for
the accounts and containers that ask: ``X-Container-Rfc-Compliant-Etags:
true`` on a container, or ``X-Account-Rfc-Compliant-Etags: true`` on an
account (a container's ``false`` turns it off under an account's
``true``); ``enable_by_default`` is the answer when neither says. The
setting is kept as system metadata (``X-Container-Meta-Rfc-Compliant-Etags``
is read too, where the container has no setting of its own).

Sits right after cache (and domain_remap), so every ETag answered for a
Swift API object path, however made below, passes it. Only ever adds the
quotes; never changes anything stored but the setting itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from webob import Request, Response, exc

from swiftlike.common import container_meta, header_hook, info, subrequest
from swiftlike.common.wsgi import Middleware

SETTING: Final = 'Rfc-Compliant-Etags'
_TRUE: Final = ('true', '1', 'yes', 'on', 't', 'y')
_FALSE: Final = ('false', '0', 'no', 'off', 'f', 'n')


@dataclass(frozen=True)
class EtagQuoterConf:
    """``[filter:etag_quoter]``."""

    #: Quote object ETags where neither the container nor the account says.
    enable_by_default: bool = False


def _flag(value: str | None) -> bool | None:
    text = (value or '').strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


class EtagQuoter(Middleware):
    """The etag_quoter filter."""

    conf_class = EtagQuoterConf

    @property
    def by_default(self) -> bool:
        return bool((self.conf or EtagQuoterConf()).enable_by_default)

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'etag_quoter', {'enable_by_default': self.by_default})
            return None
        parts = subrequest.v1_names(req)
        if parts is None:
            return None
        kind = 'Account' if len(parts) == 1 else 'Container'
        if req.method in ('PUT', 'POST'):
            return self._write(req, kind, parts)
        if req.method in ('GET', 'HEAD'):
            resp = req.get_response(self.app)
            stored = resp.headers.get(f'X-{kind}-Sysmeta-{SETTING}')
            if stored:
                resp.headers[f'X-{kind}-{SETTING}'] = stored
            return resp
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        parts = None if info.is_info(environ) else subrequest.v1_names(Request(environ))
        if parts is None or len(parts) != 3:
            return super().__call__(environ, start_response)
        original = dict(environ)          # as the client sent it (filters below may change it)

        def quoted(status: str, headers: header_hook.Headers) -> header_hook.Headers:
            etag = header_hook.get(headers, 'ETag')
            if not etag or etag.startswith(('"', 'W/"')) or not self._wanted(Request(original), parts):
                return headers
            return [(k, f'"{v}"' if k.lower() == 'etag' else v) for k, v in headers]
        return header_hook.call_with(self.app, environ, start_response, quoted)

    def _write(self, req: Request, kind: str, parts: tuple[str, ...]) -> Response:
        """A PUT or POST of an account or container: its setting kept as sysmeta."""
        given = req.headers.get(f'X-{kind}-{SETTING}')
        if given is not None:
            del req.headers[f'X-{kind}-{SETTING}']
            value = _flag(given)
            if value is None and given.strip():
                return exc.HTTPBadRequest(body=f'X-{kind}-{SETTING} must be true or false\n')
            req.headers[f'X-{kind}-Sysmeta-{SETTING}'] = '' if value is None else str(value).lower()
        resp = req.get_response(self.app)
        container_meta.forget(req.environ, *parts)
        return resp

    def _wanted(self, req: Request, parts: tuple[str, ...]) -> bool:
        """Whether the object's container (else its account, else the default) asks for quotes."""
        key = SETTING.lower()
        container = container_meta.headers_of(self.app, req.environ, parts[0], parts[1])
        for value in (container.get(f'x-container-sysmeta-{key}'), container.get(f'x-container-meta-{key}')):
            if _flag(value) is not None:
                return bool(_flag(value))
        account = container_meta.headers_of(self.app, req.environ, parts[0])
        found = _flag(account.get(f'x-account-sysmeta-{key}'))
        return self.by_default if found is None else found


filter_factory = EtagQuoter.factory

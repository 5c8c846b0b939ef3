"""Temporary URLs, as Swift has them: ``?temp_url_sig=..&temp_url_expires=..``
on an object path lets whoever holds the URL use one method on that object
(or, with ``temp_url_prefix``, on the objects under a prefix) until it
expires, without a token. See swiftlike.common.hmac_sig for what is signed
and swiftlike.common.tempurl_keys for where the keys come from.

Sits before the auth filter: a request whose signature matches gets its own
authorize callback (``env_keys.AUTHORIZE``, with ``AUTHORIZE_OVERRIDE`` so
tempauth keeps it), which allows that object and method only, plus reads
within the key's scope for a GET (the segments of a large object). A bad,
expired or misplaced signature is a 401; this filter never makes a
temp URL request reach a listing, another object's write, or a pointer to
other data (``X-Object-Manifest``, ``X-Copy-From``, symlinks: 400).
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, quote

from webob import Request, Response

from swiftlike.common import env_keys, info
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.exceptions import ConfigError
from swiftlike.common.hmac_sig import (
    SignatureError,
    first_match,
    parse_digests,
    parse_expires,
    parse_signature,
    tempurl_message,
)
from swiftlike.common.request import split_path, wsgi_path_to_str
from swiftlike.common.tempurl_keys import ACCOUNT_SCOPE, KeyLookup, ScopedKey, pass_on
from swiftlike.common.wsgi import Middleware, WsgiApp

logger = logging.getLogger(__name__)

#: Headers that would make a write point at other data; refused on a temp URL write.
DISALLOWED_HEADERS: Final = ('x-object-manifest', 'x-symlink-target', 'x-symlink-target-account',
                             'x-copy-from', 'x-copy-from-account')
INVALID_BODY: Final = b'401 Unauthorized: Temp URL invalid\n'
#: Methods a HEAD may have been signed for (Swift allows HEAD with these).
HEAD_SIGNED_AS: Final = ('HEAD', 'GET', 'POST', 'PUT')
_SIG_VALUE: Final = re.compile(r'(temp_url_sig=)([^&]{0,8})[^&]*')
_PARAMS: Final = ('temp_url_sig', 'temp_url_expires', 'temp_url_prefix', 'temp_url_ip_range',
                  'filename', 'inline')


@dataclass(frozen=True)
class TempUrlConf:
    """Options of the tempurl filter (Swift's names and defaults; header
    lists are whitespace-separated, a trailing ``*`` matches a prefix)."""

    methods: str = 'GET HEAD PUT POST DELETE'
    incoming_remove_headers: str = 'x-timestamp x-open-expired'
    incoming_allow_headers: str = ''
    outgoing_remove_headers: str = 'x-object-meta-*'
    outgoing_allow_headers: str = 'x-object-meta-public-*'
    allowed_digests: str = 'sha1 sha256 sha512'
    key_cache_ttl: float = 30.0


@dataclass(frozen=True)
class HeaderRule:
    """Headers to remove, except those allowed (names or ``prefix*``)."""

    remove: tuple[str, ...]
    allow: tuple[str, ...]

    @classmethod
    def parse(cls, remove: str, allow: str) -> HeaderRule:
        return cls(tuple(remove.lower().split()), tuple(allow.lower().split()))

    def strips(self, name: str) -> bool:
        """Whether header ``name`` goes.

        >>> rule = HeaderRule.parse('x-object-meta-*', 'x-object-meta-public-*')
        >>> rule.strips('X-Object-Meta-Secret'), rule.strips('X-Object-Meta-Public-A'), rule.strips('Etag')
        (True, False, False)
        """
        lowered = name.lower()
        return _matches(lowered, self.remove) and not _matches(lowered, self.allow)


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(name.startswith(p[:-1]) if p.endswith('*') else name == p for p in patterns)


class InvalidTempUrl(Exception):
    """A temp URL is refused (401); the message says why, for the log only."""


@dataclass(frozen=True)
class Grant:
    """What a valid temp URL allows: ``method`` on ``obj`` (or on names under
    ``prefix``), and, for a GET or HEAD, reads within the key's ``scope``."""

    account: str
    container: str
    obj: str
    method: str
    prefix: str | None
    scope: str
    expires: int

    def allows(self, method: str, path_info: str, *, web: bool = False) -> bool:
        """Whether a request (the client's own, or a filter's sub-request on
        its behalf) may do ``method`` on ``path_info`` (WSGI PATH_INFO). A
        prefix temp URL of the container itself reads it only as a web site
        (``web``: staticweb serves it), never as an API listing."""
        try:
            version, account, container, obj = split_path(wsgi_path_to_str(path_info), 2, 4, True)
        except ConstraintError:
            return False
        if version != 'v1' or account != self.account or not container:
            return False
        if not self.obj and not obj and not web:
            return False
        if obj and container == self.container and method == self.method and self._covers(obj):
            return True
        reading = self.method in ('GET', 'HEAD') and method in ('GET', 'HEAD')
        return reading and (self.scope == ACCOUNT_SCOPE or container == self.container)

    def _covers(self, obj: str) -> bool:
        return obj == self.obj if self.prefix is None else obj.startswith(self.prefix)

    def authorize(self, req: Request) -> Response | None:
        """``env_keys.AUTHORIZE`` for this request: None, or a 401."""
        web = bool(req.environ.get(env_keys.WEB_SITE))
        if self.allows(req.method, req.environ.get('PATH_INFO', ''), web=web):
            return None
        return invalid(req)


def invalid(req: Request) -> Response:
    """Swift's 401 for a temp URL (no body for HEAD)."""
    body = b'' if req.method == 'HEAD' else INVALID_BODY
    return Response(status=401, body=body, content_type='text/plain',
                    headers={'Www-Authenticate': 'Swift realm="unknown"'})


#: Never shown to a prefix temp URL's reader of the container itself.
CONTAINER_OWNER_HEADERS: Final = frozenset({
    'x-container-meta-temp-url-key', 'x-container-meta-temp-url-key-2', 'x-container-read',
    'x-container-write', 'x-container-sync-key', 'x-container-sync-to'})


def query_params(environ: dict[str, Any]) -> dict[str, str] | None:
    """The first value of each temp URL parameter present, or None if the
    query string is not UTF-8.

    >>> query_params({'QUERY_STRING': 'temp_url_sig=a&inline&temp_url_sig=b&x=1'})
    {'temp_url_sig': 'a', 'inline': ''}
    """
    try:
        pairs = parse_qsl(environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='strict')
    except (UnicodeDecodeError, ValueError):
        return None
    found: dict[str, str] = {}
    for key, value in pairs:
        if key in _PARAMS:
            found.setdefault(key, value)
    return found


def redacted(query: str) -> str:
    """The query string as the access log may show it: signatures cut short.

    >>> redacted('a=1&temp_url_sig=0123456789abcdef&temp_url_expires=5')
    'a=1&temp_url_sig=01234567...&temp_url_expires=5'
    """
    return _SIG_VALUE.sub(r'\1\2...', query)


def object_target(path_info: str, *, prefixed: bool = False) -> tuple[str, str, str]:
    """``(account, container, object)`` of a ``/v1/a/c/o`` path; with
    ``prefixed`` (a prefix-based temp URL) the container itself too (object
    ``''``: staticweb shows a listing of it).

    :raises InvalidTempUrl: for anything else
    """
    try:
        version, account, container, obj = split_path(wsgi_path_to_str(path_info), 3 if prefixed else 4,
                                                      4, True)
    except ConstraintError:
        raise InvalidTempUrl('not an object path') from None
    if version != 'v1' or not account or not container or not (obj or prefixed):
        raise InvalidTempUrl('not an object path')
    return account, container, obj or ''


def check_ip(ip_range: str, client: str | None) -> None:
    """:raises InvalidTempUrl: if ``client`` is outside ``ip_range`` or either is malformed"""
    try:
        inside = len(ip_range) <= 64 and client is not None \
            and ipaddress.ip_address(client) in ipaddress.ip_network(ip_range)
    except ValueError:
        raise InvalidTempUrl('malformed temp_url_ip_range or client address') from None
    if not inside:
        raise InvalidTempUrl('client address outside temp_url_ip_range')


def disposition(params: dict[str, str], name: str, existing: str | None) -> str:
    """Content-Disposition of a GET: ``inline`` and ``filename`` from the
    query, else the object's own, else an attachment named after the object.

    >>> disposition({'inline': ''}, 'o', None), disposition({}, 'a/b c', 'x')
    ('inline', 'x')
    >>> disposition({'filename': 'é"'}, 'o', None)
    'attachment; filename="%C3%A9%22"; filename*=UTF-8\\'\\'%C3%A9%22'
    """
    filename = params.get('filename')
    kind = 'inline' if 'inline' in params else 'attachment'
    if 'inline' in params and not filename:
        return 'inline'
    if not filename:
        if existing:
            return existing
        filename = os.path.basename(name.rstrip('/'))
    return f"{kind}; filename=\"{quote(filename, safe=' /')}\"; filename*=UTF-8''{quote(filename)}"


class TempUrl(Middleware):
    """The tempurl filter (before the auth filter)."""

    conf_class = TempUrlConf

    def __init__(self, app: WsgiApp, conf: TempUrlConf | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(app, conf or TempUrlConf())
        self.tconf: TempUrlConf = self.conf
        try:
            self.digests = parse_digests(self.tconf.allowed_digests)
        except SignatureError as err:
            raise ConfigError(f'[filter:tempurl] allowed_digests: {err}') from None
        self.methods = tuple(m.upper() for m in self.tconf.methods.split())
        conf = self.tconf
        self.incoming = HeaderRule.parse(conf.incoming_remove_headers, conf.incoming_allow_headers)
        self.outgoing = HeaderRule.parse(conf.outgoing_remove_headers, conf.outgoing_allow_headers)
        self.lookup = KeyLookup(app, self.tconf.key_cache_ttl, clock)
        self.clock = clock

    def info_section(self) -> dict[str, Any]:
        """The ``tempurl`` section of /info."""
        conf = self.tconf
        return {'methods': list(self.methods), 'allowed_digests': list(self.digests),
                'incoming_remove_headers': conf.incoming_remove_headers.split(),
                'incoming_allow_headers': conf.incoming_allow_headers.split(),
                'outgoing_remove_headers': conf.outgoing_remove_headers.split(),
                'outgoing_allow_headers': conf.outgoing_allow_headers.split()}

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'tempurl', self.info_section())
            return None
        if req.method == 'OPTIONS':
            return None
        params = query_params(req.environ)
        if params is None:
            return invalid(req) if 'temp_url_' in req.environ.get('QUERY_STRING', '') else None
        if 'temp_url_sig' not in params and 'temp_url_expires' not in params:
            return pass_on(self.app, req)
        try:
            grant = self.grant(req, params)
        except InvalidTempUrl as err:
            logger.info('temp URL refused: %s', err, extra=_log_extra(req))
            req.environ['QUERY_STRING'] = redacted(req.environ.get('QUERY_STRING', ''))
            return invalid(req)
        refused = self._disallowed(req)
        if refused is not None:
            return refused
        self._hand_over(req, grant)
        return self._finish(req, params, grant, req.get_response(self.app))

    def grant(self, req: Request, params: dict[str, str]) -> Grant:
        """What the request's temp URL allows.

        :raises InvalidTempUrl: if its signature is missing, malformed,
            expired, for another method, path, address or key
        """
        sig, expires_text = params.get('temp_url_sig'), params.get('temp_url_expires')
        if not sig or not expires_text:
            raise InvalidTempUrl('temp_url_sig or temp_url_expires missing')
        try:
            algo, digest = parse_signature(sig, self.digests)
            expires = parse_expires(expires_text)
        except SignatureError as err:
            raise InvalidTempUrl(str(err)) from None
        if expires < self.clock():
            raise InvalidTempUrl('expired')
        if req.method not in self.methods:
            raise InvalidTempUrl(f'method {req.method} not allowed for temp URLs')
        prefix = params.get('temp_url_prefix')
        account, container, obj = object_target(req.environ.get('PATH_INFO', ''), prefixed=prefix is not None)
        if prefix is not None and not obj.startswith(prefix):
            raise InvalidTempUrl('object outside temp_url_prefix')
        ip_range = params.get('temp_url_ip_range', '')
        if ip_range:
            check_ip(ip_range, req.remote_addr)
        signed = f'prefix:/v1/{account}/{container}/{prefix}' if prefix is not None \
            else f'/v1/{account}/{container}/{obj}'
        methods = HEAD_SIGNED_AS if req.method == 'HEAD' else (req.method,)
        messages = [tempurl_message(m, expires, signed, ip_range) for m in methods]
        scope = self._match(req.environ, (account, container), lambda keys: first_match(
            digest, algo, keys, messages))
        return Grant(account, container, obj, req.method, prefix, scope, expires)

    def _match(self, environ: dict[str, Any], where: tuple[str, str],
               check: Callable[[list[ScopedKey]], str | None]) -> str:
        """The scope of the key that signed, reading the keys again once if
        cached ones do not match (a key may have just been set)."""
        keys, cached = self.lookup.keys(environ, *where)
        scope = check(keys)
        if scope is None and cached:
            keys, _ = self.lookup.keys(environ, *where, refresh=True)
            scope = check(keys)
        if not keys:
            raise InvalidTempUrl('no temp URL key set on the account or container')
        if scope is None:
            raise InvalidTempUrl('signature does not match')
        return scope

    def _disallowed(self, req: Request) -> Response | None:
        """400 for a write carrying a header that points at other data."""
        if req.method in ('GET', 'HEAD', 'OPTIONS'):
            return None
        for name in DISALLOWED_HEADERS:
            if name in req.headers:
                title = '-'.join(w.capitalize() for w in name.split('-'))
                return Response(status=400, content_type='text/plain',
                                body=f'The header {title!r} is not allowed in this tempurl\n'.encode())
        return None

    def _hand_over(self, req: Request, grant: Grant) -> None:
        """Strip configured headers and the query; authorize as the grant."""
        for key in [k for k in req.environ if k.startswith('HTTP_')]:
            if self.incoming.strips(key[5:].replace('_', '-')):
                del req.environ[key]
        req.environ[env_keys.AUTHORIZE] = grant.authorize
        req.environ[env_keys.AUTHORIZE_OVERRIDE] = True
        req.environ['REMOTE_USER'] = env_keys.TEMP_URL_USER
        req.environ[env_keys.TEMP_URL_QUERY] = req.environ.get('QUERY_STRING', '')
        req.environ['QUERY_STRING'] = ''

    def _finish(self, req: Request, params: dict[str, str], grant: Grant, resp: Response) -> Response:
        """The answer with outgoing headers stripped and, for a read,
        Content-Disposition and Expires set."""
        for name in [n for n in resp.headers if self.outgoing.strips(n)
                     or (not grant.obj and n.lower() in CONTAINER_OWNER_HEADERS)]:
            del resp.headers[name]
        if req.method in ('GET', 'HEAD') and resp.status_int // 100 == 2:
            name = grant.obj
            resp.headers['Content-Disposition'] = disposition(
                params, name, resp.headers.get('Content-Disposition')).replace('\n', '%0A')
            resp.headers['Expires'] = email.utils.formatdate(grant.expires, usegmt=True)
        return resp


def _log_extra(req: Request) -> dict[str, str]:
    return {'txn_id': str(req.environ.get(env_keys.TXN_ID, '-')), 'client_ip': str(req.remote_addr or '-')}


filter_factory = TempUrl.factory

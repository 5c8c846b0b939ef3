"""Users and keys from the config, v1 auth, signed tokens, and the
authorize callback with ``.admin`` / ``.reseller_admin``, container ACLs and
account ACLs (``X-Account-Access-Control``, see common.account_acls).

``user_<account>_<user> = <key> [.admin] [.reseller_admin] [<storage url>]``.
``GET /auth/v1.0`` with ``X-Auth-User: account:user`` and ``X-Auth-Key``
(or ``X-Storage-User`` / ``X-Storage-Pass``) answers ``X-Auth-Token`` and
``X-Storage-Url``. Tokens are HMAC-signed with an expiry, so every worker
and every proxy sharing the secret validates them without a shared cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from webob import Request, Response, exc

from swiftlike.common import account_acls, env_keys, info
from swiftlike.common.acl import clean_acl, parse_acl
from swiftlike.common.config import parse_conf
from swiftlike.common.s3_auth import S3AuthDetails, signatures_equal
from swiftlike.common.wsgi import Middleware, WsgiApp

#: Request headers only an account's owners may set (a read-write account ACL grants the rest).
OWNER_ONLY: Final = frozenset({'x-container-read', 'x-container-write', 'x-container-sync-key',
                               'x-container-sync-to', 'x-container-meta-temp-url-key',
                               'x-container-meta-temp-url-key-2', 'x-account-access-control',
                               'x-account-meta-temp-url-key', 'x-account-meta-temp-url-key-2'})


@dataclass(frozen=True)
class TempAuthConf:
    """Options of tempauth (besides the ``user_*`` lines)."""

    reseller_prefix: str = 'AUTH'
    auth_prefix: str = '/auth/'
    token_life: float = 86400.0
    secret: str = ''


@dataclass(frozen=True)
class User:
    """One configured user."""

    account: str
    name: str
    key: str
    groups: frozenset[str] = field(default_factory=frozenset)
    storage_url: str = ''


def parse_users(local_conf: dict[str, str]) -> dict[str, User]:
    """``{'account:user': User}`` from the ``user_<account>_<user>`` options."""
    users = {}
    for option, value in local_conf.items():
        if not option.startswith('user_'):
            continue
        account, _, name = option[5:].partition('_')
        words = value.split()
        if not account or not name or not words:
            raise ValueError(f'bad tempauth user option {option!r}')
        url = next((w for w in words[1:] if w.startswith(('http://', 'https://'))), '')
        groups = frozenset(w for w in words[1:] if w.startswith('.'))
        users[f'{account}:{name}'] = User(account, name, words[0], groups, url)
    return users


class TempAuth(Middleware):
    """Authenticates, and authorizes through ``environ[env_keys.AUTHORIZE]``."""

    def __init__(self, app: WsgiApp, conf: TempAuthConf, users: dict[str, User],
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(app, conf)
        self.tconf = conf
        self.users = users
        self.prefix = conf.reseller_prefix + '_' if conf.reseller_prefix else ''
        secret = conf.secret or json.dumps(sorted((u, x.key) for u, x in users.items()))
        self.secret = hashlib.sha256(secret.encode()).digest()
        self.clock = clock

    @classmethod
    def factory(cls, global_conf: dict[str, str], **local_conf: str) -> Callable[[WsgiApp], TempAuth]:
        users = parse_users(local_conf)
        rest = {k: v for k, v in local_conf.items() if not k.startswith('user_')}
        conf = parse_conf(TempAuthConf, {**global_conf, **rest}, section='filter:tempauth', local=rest)
        return lambda app: cls(app, conf, users)

    # -- tokens -----------------------------------------------------------------

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()[:40]

    def make_token(self, user: User, expires: float) -> str:
        payload = base64.urlsafe_b64encode(json.dumps([f'{user.account}:{user.name}', int(expires)]).encode())
        return f'{self.prefix}tk{payload.decode()}.{self._sign(payload)}'

    def user_of_token(self, token: str) -> User | None:
        """The user a token is valid for, or None (for any text a client sends:
        compared as bytes, since a token may hold characters that are not ASCII)."""
        body = token.removeprefix(f'{self.prefix}tk')
        payload, _, signature = body.rpartition('.')
        if body == token or not signatures_equal(self._sign(payload.encode('utf-8', 'surrogatepass')),
                                                 signature):
            return None
        try:
            name, expires = json.loads(base64.urlsafe_b64decode(payload))
        except (ValueError, TypeError):
            return None
        if not isinstance(name, str) or not isinstance(expires, int | float):
            return None
        user = self.users.get(name)
        return user if user and expires > self.clock() else None

    def groups(self, user: User) -> frozenset[str]:
        """The groups a user acts as: account:user, account, and the account
        itself (AUTH_x) for .admin, plus .reseller_admin."""
        groups = {f'{user.account}:{user.name}', user.account}
        if '.admin' in user.groups or '.reseller_admin' in user.groups:
            groups.add(self.prefix + user.account)
        if '.reseller_admin' in user.groups:
            groups.add('.reseller_admin')
        return frozenset(groups)

    # -- requests -------------------------------------------------------------------

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'tempauth', {'account_acls': True})
        path = req.environ.get('PATH_INFO', '')
        if path.startswith(self.tconf.auth_prefix) or path in ('/v1.0', '/auth/v1.0'):
            return self.handle_auth(req)
        if req.environ.get(env_keys.AUTHORIZE_OVERRIDE):
            return None     # tempurl or formpost checked this request's signature and set AUTHORIZE
        token = req.headers.get('X-Auth-Token') or req.headers.get('X-Storage-Token')
        s3: S3AuthDetails | None = req.environ.get(env_keys.S3_AUTH)
        if s3 is not None and not token:
            user = self.s3_user(req, s3)
            if user is None:
                return self.deny(req, authenticated=False)
            req.environ[env_keys.REMOTE_GROUPS] = self.groups(user)
            req.environ['REMOTE_USER'] = ','.join(sorted(self.groups(user)))
        elif token:
            user = self.user_of_token(token)
            if user is None:
                return self.deny(req, authenticated=False)
            req.environ[env_keys.REMOTE_GROUPS] = self.groups(user)
            req.environ['REMOTE_USER'] = ','.join(sorted(self.groups(user)))
        req.environ[env_keys.AUTHORIZE] = self.authorize
        req.environ[env_keys.CLEAN_ACL] = clean_acl
        account = account_acls.account_of(req.environ)
        if account is not None and account.startswith(self.prefix):
            account_acls.move_to_sysmeta(req)
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """As every filter, and an account's answer shows its ACL to its owners only."""
        account = account_acls.account_of(environ)
        if account is None:
            return super().__call__(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            groups = environ.get(env_keys.REMOTE_GROUPS) or frozenset()
            kept = account_acls.shown(headers, owner=account in groups or '.reseller_admin' in groups)
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return super().__call__(environ, start)

    def s3_user(self, req: Request, s3: S3AuthDetails) -> User | None:
        """The user of an S3 request whose signature matches its key (access
        key ``account:user``, secret = the user's key); its account then
        replaces the access key in the path."""
        user = self.users.get(s3.access_key)
        if user is None:
            s3.outcome = 'unknown_key'
            return None
        if not s3.check(user.key):
            s3.outcome = 'bad_signature'
            return None
        s3.outcome = 'ok'
        parts = req.environ.get('PATH_INFO', '').split('/', 3)
        if len(parts) > 2 and parts[2] == s3.access_key:
            parts[2] = self.prefix + user.account
            req.environ['PATH_INFO'] = '/'.join(parts)
        return user

    def handle_auth(self, req: Request) -> Response:
        """``GET /auth/v1.0``: a token and the storage URL."""
        if req.method not in ('GET', 'HEAD'):
            return exc.HTTPBadRequest(body='use GET for auth\n')
        name = req.headers.get('X-Auth-User') or req.headers.get('X-Storage-User') or ''
        key = req.headers.get('X-Auth-Key') or req.headers.get('X-Storage-Pass') or ''
        user = self.users.get(name)
        if user is None or not signatures_equal(user.key, key):
            return exc.HTTPUnauthorized(headers={'Www-Authenticate': 'Swift realm="unknown"'})
        expires = self.clock() + self.tconf.token_life
        token = self.make_token(user, expires)
        url = user.storage_url or f'{req.host_url}/v1/{self.prefix}{user.account}'
        body = json.dumps({'storage': {'default': 'local', 'local': url}}).encode()
        return Response(body=body, content_type='application/json', headers={
            'X-Auth-Token': token, 'X-Storage-Token': token, 'X-Storage-Url': url,
            'X-Auth-Token-Expires': str(int(self.tconf.token_life))})

    def deny(self, req: Request, *, authenticated: bool) -> Response:
        """403 for a known user, 401 otherwise."""
        if authenticated:
            return exc.HTTPForbidden()
        return exc.HTTPUnauthorized(headers={'Www-Authenticate': 'Swift realm="swiftlike"'})

    def authorize(self, req: Request) -> Response | None:
        """None to allow, or the 401/403 to answer; ``req.environ['swiftlike.acl']``
        holds the container ACL the proxy found, if any."""
        groups: frozenset[str] = req.environ.get(env_keys.REMOTE_GROUPS) or frozenset()
        parts = req.environ.get('PATH_INFO', '').split('/', 4)
        account = parts[2] if len(parts) > 2 else ''
        container = parts[3] if len(parts) > 3 else ''
        obj = parts[4] if len(parts) > 4 else ''
        if not account.startswith(self.prefix) or not account:
            return self.deny(req, authenticated=bool(groups))
        if '.reseller_admin' in groups:
            return None
        account_write = not container and req.method in ('PUT', 'DELETE')
        if account in groups and not account_write:
            return None
        if container and self._acl_allows(req, groups, listing=not obj):
            return None
        if groups and not account_write and self._account_acl_allows(req, account, groups,
                                                                     container=bool(container)):
            return None
        return self.deny(req, authenticated=bool(groups))

    def _account_acl_allows(self, req: Request, account: str, groups: frozenset[str], *,
                            container: bool) -> bool:
        """Swift's account ACL levels: ``admin`` acts as the owner (who then
        sees owner-only headers too), ``read-write`` may do anything to the
        account's containers and objects and read the account, ``read-only``
        may read all of it."""
        level = account_acls.acl_of(self.app, req.environ, account).level(groups)
        if level == 'admin':
            req.environ[env_keys.REMOTE_GROUPS] = groups | {account}
            return True
        reading = req.method in ('GET', 'HEAD')
        if level == 'read-write' and container and not reading:
            for name in [n for n in req.headers if n.lower() in OWNER_ONLY]:
                del req.headers[name]       # as Swift: ignored, not refused
        return level == 'read-write' and (container or reading) or level == 'read-only' and reading

    def _acl_allows(self, req: Request, groups: frozenset[str], *, listing: bool) -> bool:
        raw = req.environ.get(env_keys.ACL)
        if not raw:
            return False
        try:
            acl = parse_acl(raw)
        except ValueError:
            return False
        if req.method in ('GET', 'HEAD') and acl.any_referrer and (not listing or acl.listings):
            return True
        return '*' in acl.groups and bool(groups) or bool(groups.intersection(acl.groups))


def filter_factory(global_conf: dict[str, str], **local_conf: str) -> Callable[[WsgiApp], Any]:
    """paste.deploy filter_factory."""
    return TempAuth.factory(global_conf, **local_conf)

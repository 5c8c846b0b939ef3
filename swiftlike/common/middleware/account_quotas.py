"""Account quotas, as Swift's: ``X-Account-Quota-Bytes`` and
``X-Account-Quota-Count`` (kept as account system metadata, shown back
under those names), the legacy ``X-Account-Meta-Quota-Bytes``, and per
policy ``X-Account-Quota-{Bytes,Count}-Policy-<name>``. Only a reseller
admin sets or removes them (anyone else is 403): an empty value or
``X-Remove-Account-Quota-...: t`` removes one. An object PUT (a COPY and
a copy by PUT too) that would pass the account's byte or object quota is
a 413. Per-policy quotas are kept and shown; this cluster's accounts do not
report usage per policy, so they are not enforced (see README).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from webob import Request, Response, exc

from swiftlike.common import account_acls, env_keys, info, infocache, quota, subrequest
from swiftlike.common.wsgi import Middleware

#: What clients send (lower case), and where it is kept.
CLIENT_PREFIX: Final = 'x-account-quota-'
SYSMETA_PREFIX: Final = 'X-Account-Sysmeta-Quota-'
LEGACY: Final = 'X-Account-Meta-Quota-Bytes'
REMOVE_PREFIX: Final = 'x-remove-'


def _kind(name: str) -> str | None:
    """``'bytes'``/``'count'``/``'bytes-policy-x'``... for a quota header
    (lower case, without any ``x-remove-``), ``'legacy'``, or None."""
    if name == LEGACY.lower():
        return 'legacy'
    suffix = name.removeprefix(CLIENT_PREFIX)
    if suffix != name and (suffix in ('bytes', 'count') or suffix.startswith(('bytes-policy-',
                                                                              'count-policy-'))):
        return suffix
    return None


def translate(req: Request) -> None:
    """Move the quota headers of an account PUT or POST where they are kept.

    :raises HTTPForbidden: if the sender is not a reseller admin
    :raises HTTPBadRequest: for a value that is not a whole number
    """
    found = []
    for name, value in list(req.headers.items()):
        lowered = name.lower()
        removing = lowered.startswith(REMOVE_PREFIX)
        kind = _kind('x-' + lowered[len(REMOVE_PREFIX):] if removing else lowered)
        if kind is not None:
            found.append((name, kind, '' if removing else value))
    if not found:
        return
    if '.reseller_admin' not in (req.environ.get(env_keys.REMOTE_GROUPS) or ()):
        raise exc.HTTPForbidden(body='Only a reseller admin may set account quotas\n')
    for name, kind, value in found:
        quota.check_value(name, value)
        del req.headers[name]
        req.headers[LEGACY if kind == 'legacy' else SYSMETA_PREFIX + kind] = value


def shown(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """An account answer's headers, with the quotas under their client names."""
    out = list(headers)
    prefix = SYSMETA_PREFIX.lower()
    return out + [('X-Account-Quota-' + name[len(prefix):], value)
                  for name, value in out if name.lower().startswith(prefix) and value]


class AccountQuotas(Middleware):
    """Guards the quota headers of accounts and enforces the quotas on object PUTs."""

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'account_quotas', {})
        account = account_acls.account_of(req.environ)
        if account is not None:
            if req.method not in ('PUT', 'POST', 'DELETE'):
                return None
            if req.method != 'DELETE':
                translate(req)
            return req.get_response(self.app)
        where = subrequest.object_of(req)
        if where is None or req.method != 'PUT':
            return None
        return self.check(req, *where[:2])

    def check(self, req: Request, account: str, container: str) -> Response | None:
        """413 if the PUT would pass the account's quota (and the sender may write there)."""
        names = (SYSMETA_PREFIX + 'Bytes', LEGACY, SYSMETA_PREFIX + 'Count')
        if not quota.has_quota(infocache.info_of(self.app, req.environ, account), names):
            return None
        acct = quota.head(self.app, req.environ, f'/v1/{account}')
        if acct is None:
            return None
        max_bytes = quota.stored_int(acct.headers, SYSMETA_PREFIX + 'Bytes')
        if max_bytes is None:
            max_bytes = quota.stored_int(acct.headers, LEGACY)
        max_count = quota.stored_int(acct.headers, SYSMETA_PREFIX + 'Count')
        if max_bytes is None and max_count is None:
            return None
        used = quota.stored_int(acct.headers, 'X-Account-Bytes-Used')
        count = quota.stored_int(acct.headers, 'X-Account-Object-Count')
        if not (quota.over(max_bytes, used, quota.upload_size(req)) or quota.over(max_count, count, 1)):
            return quota.put_within(self.app, req, None if max_bytes is None else max_bytes - (used or 0))
        cont = quota.head(self.app, req.environ, f'/v1/{account}/{container}')
        if cont is None or not quota.may_write(req, cont.headers.get('X-Container-Write', '')):
            return None
        return quota.too_large()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """As every filter, and an account's answer shows its quotas."""
        if account_acls.account_of(environ) is None:
            return super().__call__(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, shown(headers), exc_info) if exc_info \
                else start_response(status, shown(headers))

        return super().__call__(environ, start)


filter_factory = AccountQuotas.factory

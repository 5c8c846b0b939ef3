"""Accounts and containers as host names, as Swift's domain_remap: a request
to ``<container>.<account>.<storage_domain>/<object>`` is served as
``/v1/<account>/<container>/<object>``, one to
``<account>.<storage_domain>/<path>`` as ``/v1/<account>/<path>``.

- The account label may use ``-`` for the ``_`` after its reseller prefix
  (host names have no ``_``): ``auth-test`` and ``auth_test`` are both
  ``AUTH_test``. An account without a known reseller prefix gets
  ``default_reseller_prefix`` if set, else the answer is 404.
- Host names are lower case (ASCII letters are lowered), so only such
  containers can be reached; UTF-8 labels are taken as they come.
- Requests signed for S3 (``Authorization: AWS...``, ``X-Amz-*`` query
  parameters) are left alone: virtual-host buckets are s3api's, even when
  both filters are given the same domain.

Sits after cache and before ratelimit, so every later filter sees the
rewritten path (the client's original path is kept in the environ for
redirects). Never reads or writes storage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from webob import Request, Response, exc

from swiftlike.common import env_keys, info
from swiftlike.common.wsgi import Middleware

#: One label: no separators, controls, spaces or percent signs (UTF-8 names are taken, as Swift).
_LABEL: Final = re.compile(r'[^\x00-\x20\x7f/%?#\\]{1,255}')
_BAD_HOST: Final = 'Bad domain in host header\n'


@dataclass(frozen=True)
class DomainRemapConf:
    """``[filter:domain_remap]``."""

    #: Domains (comma-separated) whose sub-domains name accounts and containers.
    storage_domain: str = 'example.com'
    #: The API version the rewritten paths start with.
    path_root: str = 'v1'
    #: Reseller prefixes (comma-separated) an account label may start with.
    reseller_prefixes: str = 'AUTH'
    #: Prefix given to an account label that has none of them (empty: such hosts are 404).
    default_reseller_prefix: str = ''


def _list(text: str) -> list[str]:
    return [item.strip() for item in text.split(',') if item.strip()]


def _is_utf8(label: str) -> bool:
    """Whether a host label (bytes carried as latin-1) is UTF-8."""
    try:
        label.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False
    return True


def is_s3(req: Request) -> bool:
    """Whether the request carries an S3 signature (header or query)."""
    auth = req.headers.get('Authorization', '')
    query = req.environ.get('QUERY_STRING', '')
    return auth.startswith('AWS') or 'X-Amz-' in query or 'AWSAccessKeyId=' in query


class DomainRemap(Middleware):
    """The domain_remap filter."""

    conf_class = DomainRemapConf

    def __init__(self, app: object, conf: DomainRemapConf | None = None) -> None:
        super().__init__(app, conf or DomainRemapConf())  # type: ignore[arg-type]
        self.domains = [d.lower().strip('.') for d in _list(self.conf.storage_domain)]
        self.prefixes = [p if p.endswith('_') else p + '_' for p in _list(self.conf.reseller_prefixes)]
        self.root = self.conf.path_root.strip('/')
        self.default: str = self.conf.default_reseller_prefix.rstrip('_')

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'domain_remap', {'default_reseller_prefix': self.default or None})
        host = req.environ.get('HTTP_HOST') or req.environ.get('SERVER_NAME', '')
        host = host.rpartition(':')[0] if re.search(r':\d*$', host) else host
        host = ''.join(c.lower() if c.isascii() else c for c in host).rstrip('.')
        domain = next((d for d in self.domains if host.endswith('.' + d)), None)
        if domain is None or is_s3(req):
            return None
        labels = host[:-len(domain) - 1].split('.')
        if len(labels) > 2 or not all(_LABEL.fullmatch(label) and _is_utf8(label) for label in labels):
            return exc.HTTPBadRequest(body=_BAD_HOST)
        account = self._account(labels[-1])
        if account is None:
            return exc.HTTPNotFound(body=_BAD_HOST)
        path = req.environ.get('PATH_INFO', '') or '/'
        new = f'/{self.root}/{account}' + (f'/{labels[0]}' if len(labels) == 2 else '')
        req.environ[env_keys.REMAPPED_FROM] = path
        req.environ['PATH_INFO'] = new + (path if path != '/' or len(labels) == 2 else '')
        req.environ.pop('RAW_PATH_INFO', None)
        req.environ.pop('REQUEST_URI', None)
        return None

    def _account(self, label: str) -> str | None:
        """The account a host label names, or None if it has no known reseller prefix."""
        if '_' not in label and '-' in label:
            label = label.replace('-', '_', 1)
        for prefix in self.prefixes:
            if label.startswith(prefix.lower()):
                return prefix + label[len(prefix):]
        return f'{self.default}_{label}' if self.default else None


filter_factory = DomainRemap.factory

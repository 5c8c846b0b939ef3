"""The options of the WSGI server layer (``[DEFAULT]`` of every server's
ini) and the open-files arithmetic behind the connection cap. No eventlet,
no sockets: swiftlike.common.http_server applies these."""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

from swiftlike.common.config import parse_conf
from swiftlike.common.exceptions import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConf:
    """Options of the WSGI server layer, in ``[DEFAULT]`` of every
    etc/*-server.conf-sample (the app's own options are in its section)."""

    bind_ip: str = '0.0.0.0'
    bind_port: int = 8080
    workers: int = 1
    #: requests one worker has in the app at once (the others wait for a slot)
    max_clients: int = 1024
    #: open connections per worker, at most half of RLIMIT_NOFILE (see http_server)
    max_connections: int = 4096
    #: seconds from a request's first byte to the end of its head; also the most
    #: spent skipping a body the app left unread
    header_timeout: float = 10.0
    #: seconds any one read or write on a connection may wait (the first byte of
    #: a request, body bytes, the client taking answer bytes) before it is closed
    keepalive_timeout: float = 60.0
    log_level: str = 'INFO'

    def __post_init__(self) -> None:
        if self.workers < 0 or self.max_clients < 1 or self.max_connections < 1:
            raise ConfigError('[DEFAULT] workers must be >= 0, max_clients and max_connections >= 1')
        if self.header_timeout <= 0 or self.keepalive_timeout <= 0:
            raise ConfigError('[DEFAULT] header_timeout and keepalive_timeout must be > 0')

    @classmethod
    def from_defaults(cls, defaults: dict[str, str]) -> ServerConf:
        """From the ``[DEFAULT]`` options (the apps' keys there are not ours, so not warned about).

        :raises ConfigError: for a malformed or out-of-range value
        """
        return parse_conf(cls, defaults, section='DEFAULT', local=())


def connection_cap(max_connections: int, nofile: int) -> int:
    """Client connections one process may hold: ``max_connections``, but at
    most half of the descriptors it may open (the other half is for backend
    connections, files and logs).

    >>> connection_cap(4096, 20000), connection_cap(4096, 1024)
    (4096, 512)
    """
    return max(1, min(max_connections, nofile // 2))


def raise_nofile_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE toward ``wanted`` (not past the hard limit).

    :returns: the soft limit now in force
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError) as err:
            logger.warning('cannot raise the open-files limit to %d: %s', target, err)
    return soft

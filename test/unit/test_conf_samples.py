"""Every option of a server's or daemon's config dataclass is in its
etc/*.conf-sample, and every key of the sample is an option (STYLE.md C6)."""

from __future__ import annotations

import dataclasses
from configparser import ConfigParser
from pathlib import Path

import pytest

from swiftlike.account.conf import AccountServerConf
from swiftlike.common.middleware.healthcheck import HealthCheckConf
from swiftlike.common.middleware.recon import ReconConf
from swiftlike.common.server_conf import ServerConf
from swiftlike.container.conf import ContainerServerConf
from swiftlike.daemons import DAEMONS, daemon_class
from swiftlike.obj.conf import ObjectServerConf

TOP = Path(__file__).resolve().parents[2]
APPS = {'object': ObjectServerConf, 'container': ContainerServerConf, 'account': AccountServerConf}


def sections(kind: str) -> dict[str, type]:
    """Section name -> conf class, of etc/<kind>-server.conf-sample."""
    found: dict[str, type] = {f'app:{kind}-server': APPS[kind], 'filter:healthcheck': HealthCheckConf,
                              'filter:recon': ReconConf}
    for name, (daemon_kind, _) in DAEMONS.items():
        if daemon_kind == kind:
            cls = daemon_class(name)
            found[cls.section] = cls.conf_class
    return found


def read(kind: str) -> tuple[ConfigParser, ConfigParser]:
    """The sample, and the sample with [DEFAULT] kept out of the other sections."""
    merged, own = ConfigParser(interpolation=None), ConfigParser(interpolation=None, default_section='\x00')
    merged.read(TOP / 'etc' / f'{kind}-server.conf-sample')
    own.read(TOP / 'etc' / f'{kind}-server.conf-sample')
    return merged, own


@pytest.mark.parametrize('kind', sorted(APPS))
def test_every_section_key_is_an_option_and_every_option_is_set(kind):
    merged, own = read(kind)
    for section, cls in sections(kind).items():
        fields = {f.name for f in dataclasses.fields(cls)}
        keys = {k for k in own[section] if k != 'use'}
        assert keys <= fields, (section, keys - fields)
        assert fields <= keys | set(merged.defaults()), (section, fields - keys - set(merged.defaults()))


@pytest.mark.parametrize('kind', sorted(APPS))
def test_every_default_key_is_an_option_of_some_section(kind):
    merged, _ = read(kind)
    classes = [*sections(kind).values(), ServerConf]
    used = set().union(*({f.name for f in dataclasses.fields(cls)} for cls in classes))
    assert set(merged.defaults()) <= used, set(merged.defaults()) - used


@pytest.mark.parametrize('kind', [*sorted(APPS), 'proxy'])
def test_every_server_option_is_in_default(kind):
    """The WSGI server layer (common.server_conf) reads [DEFAULT] of every server's ini."""
    merged = ConfigParser(interpolation=None)
    merged.read(TOP / 'etc' / f'{kind}-server.conf-sample')
    fields = {f.name for f in dataclasses.fields(ServerConf)}
    assert fields <= set(merged.defaults()), fields - set(merged.defaults())
    parsed = ServerConf.from_defaults(dict(merged.defaults()))
    assert parsed == ServerConf(bind_port=parsed.bind_port)     # the samples show the defaults

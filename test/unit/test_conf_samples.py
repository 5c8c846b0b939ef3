"""Every option of a server's config dataclass is in its etc/*.conf-sample,
and every key of the sample is an option (STYLE.md C6)."""

from __future__ import annotations

import dataclasses
from configparser import ConfigParser
from pathlib import Path

import pytest

from swiftlike.account.conf import AccountServerConf
from swiftlike.container.conf import ContainerServerConf
from swiftlike.obj.conf import ObjectServerConf

TOP = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('sample, section, conf_class', [
    ('object-server.conf-sample', 'app:object-server', ObjectServerConf),
    ('container-server.conf-sample', 'app:container-server', ContainerServerConf),
    ('account-server.conf-sample', 'app:account-server', AccountServerConf),
])
def test_sample_matches_dataclass(sample, section, conf_class):
    parser = ConfigParser(interpolation=None)
    parser.read(TOP / 'etc' / sample)
    keys = set(parser.defaults()) | {k for k in parser[section] if k != 'use'}
    fields = {f.name for f in dataclasses.fields(conf_class)}
    assert keys == fields

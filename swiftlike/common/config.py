"""Typed configuration: an ini section (paste.deploy's global + local conf)
parsed once into a frozen dataclass. No ``conf.get()`` outside here."""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from collections.abc import Iterable
from configparser import ConfigParser
from pathlib import Path
from typing import Any, TypeVar

from swiftlike.common.exceptions import ConfigError

T = TypeVar('T')
logger = logging.getLogger(__name__)

_TRUE = {'true', '1', 'yes', 'on', 't', 'y'}
_FALSE = {'false', '0', 'no', 'off', 'f', 'n', ''}
#: Keys paste.deploy puts into every conf; never a typo.
_PASTE_KEYS = {'__file__', 'here', 'use', 'set'}


def parse_bool(value: str) -> bool:
    """Swift's truth values.

    >>> parse_bool('Yes'), parse_bool('off')
    (True, False)
    """
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f'not a boolean: {value!r}')


def _coerce(name: str, kind: Any, raw: str) -> object:
    if kind is bool:
        return parse_bool(raw)
    if kind in (int, float, Path):
        return kind(raw.strip())
    if kind is str:
        return raw
    if kind == tuple[str, ...]:
        return tuple(v.strip() for v in raw.split(',') if v.strip())
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        return None if raw.strip().lower() in ('', 'none') else _coerce(name, inner[0], raw)
    raise ConfigError(f'{name}: unsupported option type {kind!r}')


def parse_conf(cls: type[T], conf: dict[str, str], *, section: str = '',
               local: Iterable[str] | None = None) -> T:
    """Build ``cls`` (a dataclass) from string options, coercing each field
    to its annotated type; unknown keys (of ``local``, the section's own
    keys, when given: [DEFAULT] is shared by every section) are logged, bad
    values raise.

    :raises ConfigError: naming the option and the problem
    """
    hints = typing.get_type_hints(cls)
    values: dict[str, object] = {}
    for fld in dataclasses.fields(cls):  # type: ignore[arg-type]
        if fld.name in conf and fld.init:
            try:
                values[fld.name] = _coerce(fld.name, hints[fld.name], str(conf[fld.name]))
            except ValueError as err:
                raise ConfigError(f'[{section or cls.__name__}] {fld.name}: {err}') from err
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in sorted(set(conf if local is None else local) - known - _PASTE_KEYS):
        logger.warning('[%s] unknown option %r ignored', section or cls.__name__, key)
    return cls(**values)


def read_ini(path: str | Path) -> ConfigParser:
    """Read an ini file (interpolation off, as paste.deploy's values are literal).

    :raises ConfigError: if it is missing or malformed
    """
    parser = ConfigParser(interpolation=None)
    try:
        if not parser.read(path):
            raise ConfigError(f'cannot read config file {path}')
    except Exception as err:
        if isinstance(err, ConfigError):
            raise
        raise ConfigError(f'{path}: {err}') from err
    return parser


def section_conf(path: str | Path, section: str) -> dict[str, str]:
    """``[DEFAULT]`` merged with ``[section]`` of an ini file (empty if absent)."""
    parser = read_ini(path)
    if parser.has_section(section):
        return dict(parser.items(section))
    return dict(parser.defaults())

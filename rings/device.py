"""The device value object shared by rings and builders. Pure data."""

from dataclasses import asdict, dataclass, replace
from typing import Final

from rings.io import field_float, field_int

#: Fields a device record may carry in a ring or builder file.
DEVICE_FIELDS: Final = ('id', 'region', 'zone', 'ip', 'port', 'replication_ip',
                        'replication_port', 'device', 'weight', 'meta')


@dataclass(frozen=True, slots=True)
class Device:
    """One storage device (a disk) of a ring.

    Attributes are also readable as keys (``dev['ip']``) for callers that
    treat devices as mappings, as Swift's rings do.
    """

    id: int
    region: int
    zone: int
    ip: str
    port: int
    device: str
    weight: float
    replication_ip: str = ''
    replication_port: int = 0
    meta: str = ''

    def __post_init__(self) -> None:
        if not self.replication_ip:
            object.__setattr__(self, 'replication_ip', self.ip)
        if not self.replication_port:
            object.__setattr__(self, 'replication_port', self.port)

    def __getitem__(self, key: str) -> object:
        if key not in DEVICE_FIELDS:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: object = None) -> object:
        """Mapping-style access with a default."""
        return getattr(self, key) if key in DEVICE_FIELDS else default

    def to_dict(self) -> dict[str, object]:
        """Return the device as a plain dict (for the file formats)."""
        return asdict(self)

    def evolve(self, **changes: object) -> 'Device':
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def __str__(self) -> str:
        host = f'[{self.ip}]' if ':' in self.ip else self.ip
        return f'd{self.id}r{self.region}z{self.zone}-{host}:{self.port}/{self.device}'


def device_from_dict(data: object) -> Device:
    """Build a :class:`Device` from a file record, ignoring unknown keys.

    :raises ValueError: if a required field is missing or has a bad type
    """
    if not isinstance(data, dict):
        raise ValueError(f'bad device record {data!r}')
    try:
        return Device(
            id=field_int(data, 'id'), region=field_int(data, 'region'),
            zone=field_int(data, 'zone'), ip=str(data['ip']), port=field_int(data, 'port'),
            device=str(data['device']), weight=field_float(data, 'weight'),
            replication_ip=str(data.get('replication_ip') or ''),
            replication_port=int(data.get('replication_port') or 0),
            meta=str(data.get('meta') or ''),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f'bad device record {data!r}: {err}') from err

"""Domain exceptions raised below the HTTP edge. No webob here: handlers
translate these into HTTP responses."""

from __future__ import annotations

from swiftlike.common.timestamp import Timestamp


class SwiftlikeError(Exception):
    """Base of the domain errors."""


class DeviceUnavailableError(SwiftlikeError):
    """A device is not mounted, not a directory, full, or its filesystem failed."""


class DiskFileError(SwiftlikeError):
    """Base of object-on-disk errors."""


class DiskFileNotExistError(DiskFileError):
    """No object at that name; ``timestamp`` is the tombstone's, if any."""

    def __init__(self, timestamp: Timestamp | None = None) -> None:
        super().__init__('object not found')
        self.timestamp = timestamp


class DiskFileDeletedError(DiskFileNotExistError):
    """The newest file of the object is a tombstone."""


class DiskFileExpiredError(DiskFileNotExistError):
    """The object's X-Delete-At has passed."""

    def __init__(self, timestamp: Timestamp | None = None, metadata: dict[str, str] | None = None) -> None:
        super().__init__(timestamp)
        self.metadata = metadata or {}


class LockTimeoutError(SwiftlikeError):
    """A lock (a partition's, say) was not acquired in time: its holder is
    slow. Nothing was changed by the caller; retry later (HTTP 503)."""


class DiskFileQuarantinedError(DiskFileError):
    """The object was found corrupt and moved aside."""


class DiskFileNoSpaceError(DeviceUnavailableError):
    """The device is full."""


class ConflictError(SwiftlikeError):
    """A write is not newer than what is stored; ``timestamp`` is what is stored."""

    def __init__(self, timestamp: Timestamp) -> None:
        super().__init__(f'newer data exists ({timestamp.internal})')
        self.timestamp = timestamp


class DatabaseNotFoundError(SwiftlikeError):
    """No account or container database at that name."""


class DatabaseDeletedError(DatabaseNotFoundError):
    """The account or container database is marked deleted."""


class DatabaseCorruptError(SwiftlikeError):
    """An account or container database cannot be read."""


class DatabaseLockedError(LockTimeoutError):
    """An account or container database (or its pending file) stayed locked by
    another writer for the whole database timeout. Nothing was changed by the
    caller; retry later (HTTP 503)."""


class ContainerNotEmptyError(SwiftlikeError):
    """A container still holds objects."""


class ConfigError(SwiftlikeError):
    """A configuration file or value is invalid."""

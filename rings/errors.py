"""Exceptions of the rings package. Plain ValueError subclasses, no HTTP."""


class RingFileError(ValueError):
    """A ring or builder file is missing, truncated, corrupt or foreign."""


class RingBuilderError(ValueError):
    """A builder operation was given bad input or cannot be done."""


class RingValidationError(ValueError):
    """A replica table breaks an invariant."""

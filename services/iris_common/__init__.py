"""The contract every IRIS service speaks: envelope, error codes, settings, app factory, metrics."""

__version__ = "0.1.0"

"""The errors AIS raises on purpose, and the exit code of each (the one table of them).

Every error a command can stop on derives from :class:`AisError`; a command line (``ais``, the
Kubernetes submit script, the API smoke probe) catches ``AisError``, logs ``exc.event`` with the
message and exits with ``exc.exit_code``. The errors that reject a value also derive from
``ValueError`` (and ``JobError`` from ``RuntimeError``), so ``except ValueError`` callers keep
catching them. Each module that raises one re-exports it under its old name (``ais.config.ConfigError``,
``ais.cli.JobError``, ``ais.storage.StorageError`` ...).

Exit codes: 0 success, 1 the job failed (data or runtime), 2 usage or configuration error,
3 a check did not hold, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CHECK_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class AisError(Exception):
    """Base of the errors AIS raises on purpose. ``exit_code``: what a command line exits with;
    ``event``: the log event it writes."""

    exit_code: int = EXIT_FAILED
    event: str = "job_failed"


class ConfigError(AisError, ValueError):
    """The configuration file is missing, malformed, or a value has the wrong type."""

    exit_code = EXIT_USAGE
    event = "config_error"


class JobError(AisError, RuntimeError):
    """A job could not complete; the message says why."""


class SubmitError(AisError):
    """The Kubernetes submission cannot be built or run; ``exit_code`` says which kind of failure
    (usage by default)."""

    event = "submit_error"

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class StorageError(AisError, ValueError):
    """A URI names a store AIS cannot reach, or a file operation on it failed."""


class MergeError(AisError, ValueError):
    """The rows to merge into an Iceberg table are not acceptable (missing or duplicate keys,
    unknown columns)."""


class DuplicateKeyError(AisError, ValueError):
    """The input of a Spark merge holds the same merge key twice; the caller must deduplicate first."""


class ServingRowError(AisError, ValueError):
    """A bronze row lacks what its serving row's key needs; the message names the event."""


class ArtifactError(AisError, ValueError):
    """A model artifact location is unsupported or unusable."""


class ModelTypeError(AisError, ValueError):
    """The model type is unknown or its library is not installed."""


class FeatureMatrixError(AisError, ValueError):
    """The input cannot be turned into the model matrix (a column is missing or has a bad value)."""

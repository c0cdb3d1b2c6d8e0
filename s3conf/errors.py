"""One exception tree for s3conf.

Every class is also the built-in exception that a caller of a file API already catches
(``FileNotFoundError``, ``ValueError``...), so code written for local files keeps working, while
``except S3ConfError`` catches everything this package raises on purpose. Messages name the
offending value (never a secret) and, for configuration, the key and where the value came from.
"""

from __future__ import annotations

import errno
import io
from collections.abc import Sequence


class S3ConfError(Exception):
    """Base of every error s3conf raises deliberately."""


class InvalidURIError(S3ConfError, ValueError):
    """A URI that cannot name an S3 location (bad scheme, bucket, port, key...)."""


class ConfigError(S3ConfError, ValueError):
    """An unknown ``s3.*`` key, a value that does not parse or is out of range, or conflicting aliases."""


class InvalidModeError(S3ConfError, ValueError):
    """An open mode s3conf does not support, e.g. read *and* write on one handle."""


class ObjectNotFoundError(S3ConfError, FileNotFoundError):
    """The key does not exist (and, for directories, no key lies under it)."""


class BucketNotFoundError(S3ConfError, FileNotFoundError):
    """The bucket does not exist on the endpoint."""


class AccessDeniedError(S3ConfError, PermissionError):
    """The store refused the request for the credentials in use."""


class AuthenticationError(AccessDeniedError):
    """The store rejected the credentials themselves (unknown key or bad signature)."""


class ObjectExistsError(S3ConfError, FileExistsError):
    """An exclusive create (``xb`` / ``create_new``) found the key already present."""


class DirectoryNotEmptyError(S3ConfError, OSError):
    """``rmdir`` on a prefix that still holds keys."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.ENOTEMPTY, f"directory not empty: {path}", path)


class UnsupportedOperationError(S3ConfError, io.UnsupportedOperation):
    """An operation S3 has no counterpart for (symlinks, hard links...) or the target lacks."""


class ConditionalWriteUnsupportedError(UnsupportedOperationError):
    """The target ignores ``If-None-Match: *``; exclusive create cannot be honoured safely."""


class TransferError(S3ConfError, OSError):
    """A transfer failed after its retries were exhausted."""


class BulkTransferError(TransferError):
    """A batch of a bulk copy (:func:`s3conf.bulk.copy_files`) failed.

    ``failed`` holds the requests that did not complete (named in the message too) and ``messages``
    the transfer's own error lines (s5cmd's, or the built-in transfer's), secrets redacted.
    """

    failed: tuple[object, ...] = ()
    messages: tuple[str, ...] = ()

    @classmethod
    def of(cls, failed: Sequence[object], messages: Sequence[str], how: str) -> BulkTransferError:
        """The error for a batch whose ``failed`` requests did not complete; ``how`` says what ran it."""
        names = "; ".join(str(request) for request in failed)
        details = "\n".join(messages)
        error = cls(errno.EIO, f"bulk copy failed for {len(failed)} file(s) ({how}): {names}\n{details}")
        error.failed = tuple(failed)
        error.messages = tuple(messages)
        return error


class MultipartAbortError(TransferError):
    """A multipart upload could not be aborted: it may still be pending (and billed) on the store.

    ``upload_id`` names it, so it can be aborted later (``s3conf.multipart.abort_pending_uploads``).
    """

    upload_id: str | None = None


class InvalidHandleError(S3ConfError, ValueError):
    """A recoverable-writer handle that cannot be used as given: not JSON, another format or version,
    a missing or ill-typed field, another bucket, or the wrong kind (:mod:`s3conf.recoverable`)."""


class HandleNotFoundError(ObjectNotFoundError):
    """What a recoverable-writer handle names is gone: its multipart upload (aborted, expired or
    completed without this handle's object) or its temporary tail object."""


class StaleHandleError(TransferError):
    """The store no longer matches a recoverable-writer handle: a part it lists was replaced, its tail
    object changed, or the object at the key after a commit is not the one the handle describes."""


class TargetError(S3ConfError, RuntimeError):
    """A conformance/benchmark target failed to start, stop or answer."""


class TargetUnavailableError(TargetError):
    """A target cannot run on this machine (binary, engine, image or credentials missing)."""

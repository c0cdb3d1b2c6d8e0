"""s3conf: S3 file access, a conformance suite for S3-compatible stores, and read-ahead benchmarks.

The pure core (:mod:`s3conf.uri`, :mod:`s3conf.paths`, :mod:`s3conf.config`, :mod:`s3conf.entropy`,
:mod:`s3conf.endpoint`) never touches the network; the I/O layer (:mod:`s3conf.client`,
:mod:`s3conf.reader`, :mod:`s3conf.writer`, :mod:`s3conf.fs`) builds on it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from s3conf.endpoint import Endpoint
from s3conf.errors import S3ConfError
from s3conf.redaction import Secret

try:
    __version__ = version("s3conf")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Endpoint", "S3ConfError", "Secret", "__version__"]

"""``UPath("s3x://host:port/bucket/key")``: universal_pathlib over the ``s3x`` fsspec file system.

Registered through universal_pathlib's ``universal_pathlib.implementations`` entry point, so
``UPath("s3x://...")`` builds an :class:`S3XPath` instead of falling back to upath's untested default
(which warns). Everything a concrete pathlib path does (``exists()``, ``is_dir()``, ``iterdir()``,
``glob()``, ``read_text()``, ``write_bytes()``...) goes through :class:`s3conf.fsspec.S3XFileSystem`,
with its semantics: failures raise instead of reading as absent, credentials in the URL or as storage
options (``UPath(url, key=..., secret=...)``) belong to that path, and keys are percent-decoded from the
URL exactly as :mod:`s3conf.uri` decodes them.

Needs the ``universal_pathlib`` package (in the ``test`` extra); the core library does not import it.
"""

from __future__ import annotations

from fsspec.registry import register_implementation
from upath import UPath

from s3conf.fsspec import S3XFileSystem

__all__ = ["S3XPath"]

# upath derives its path flavour from the fsspec class once it is imported; fsspec imports entry-point
# classes lazily, and upath warns when it has to guess. Registering here (the class fsspec's entry
# point names anyway) gives it the real one.
register_implementation("s3x", S3XFileSystem, clobber=True)


class S3XPath(UPath):
    """A concrete path on an ``s3x`` store: host and port are the first part, then bucket and key."""

    __slots__ = ()

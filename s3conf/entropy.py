"""Flink's entropy injection for S3 paths.

S3 partitions a bucket by key prefix, so checkpoint files that all start with the same prefix hit one
partition. Flink's answer, copied here: a configured marker (``s3.entropy.key``, e.g. ``_entropy_``)
in a path is replaced by ``s3.entropy.length`` random alphanumeric characters when a write asks for
entropy, and simply removed otherwise, so readers and metadata keep predictable paths.

Semantics follow ``org.apache.flink.core.fs.EntropyInjector.resolveEntropy``:

* Only the **first** occurrence of the marker is rewritten, in both modes (Flink uses ``indexOf``
  once); later occurrences stay verbatim.
* Only the path is searched: in a URI (``s3://bucket/...``, ``s3x://host:port/bucket/...``) the
  scheme and authority are never touched, even if they contain the marker.
* The characters are ``[0-9A-Za-z]``, as Flink's ``generateRandomAlphanumericString``.
* When removal leaves an empty path segment (``/_entropy_/cp`` -> ``//cp``), the doubled ``/`` is
  collapsed (``/cp``), which is what Flink's ``Path`` normalisation yields; other ``//`` are kept.

>>> import random
>>> injector = EntropyInjector("_entropy_", length=4, rng=random.Random(7))
>>> injector.apply("s3://bucket/_entropy_/checkpoints/chk-1", inject=False)
's3://bucket/checkpoints/chk-1'
>>> written = injector.apply("s3://bucket/_entropy_/checkpoints/chk-1", inject=True)
>>> written.startswith("s3://bucket/") and written.endswith("/checkpoints/chk-1")
True
>>> len(written) == len("s3://bucket/xxxx/checkpoints/chk-1")
True
>>> injector.apply("s3://bucket/plain/path", inject=True)
's3://bucket/plain/path'
"""

from __future__ import annotations

import random
import re
import string
from typing import TYPE_CHECKING

from s3conf.errors import ConfigError
from s3conf.redaction import shown

if TYPE_CHECKING:
    from s3conf.config import S3Config

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
MAX_LENGTH = 1024
"""An S3 key is at most 1024 bytes: longer entropy cannot be part of one (``s3.entropy.length``)."""
_URI_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/]*")


class EntropyInjector:
    """Rewrites the entropy marker in paths: random characters on entropy writes, nothing otherwise.

    Args:
        key: the marker substring; must be non-empty.
        length: how many random characters replace it; must be >= 1.
        rng: a :class:`random.Random` (tests pass a seeded one); the default is a
            :class:`random.SystemRandom`, so forked workers never repeat each other's prefixes.

    Raises:
        ConfigError: an empty key or a length below 1, naming the value.
    """

    __slots__ = ("key", "length", "rng")

    def __init__(self, key: str, length: int = 4, rng: random.Random | None = None) -> None:
        if not isinstance(key, str) or not key:
            raise ConfigError(f"s3.entropy.key = {shown(key)}: must be a non-empty string")
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= MAX_LENGTH:
            raise ConfigError(
                f"s3.entropy.length = {shown(length)}: must be an integer from 1 to {MAX_LENGTH}"
            )
        self.key = key
        self.length = length
        self.rng = rng if rng is not None else random.SystemRandom()

    @classmethod
    def from_config(cls, config: S3Config, rng: random.Random | None = None) -> EntropyInjector | None:
        """The injector ``config`` asks for, or ``None`` when no ``s3.entropy.key`` is set.

        >>> from s3conf.config import S3Config
        >>> EntropyInjector.from_config(S3Config()) is None
        True
        >>> EntropyInjector.from_config(S3Config(entropy_key="_e_", entropy_length=8))
        EntropyInjector(key='_e_', length=8)
        """
        if config.entropy_key is None:
            return None
        return cls(config.entropy_key, config.entropy_length, rng)

    def generate(self) -> str:
        """``length`` random characters from ``[0-9A-Za-z]``."""
        return "".join(self.rng.choice(ALPHABET) for _ in range(self.length))

    def applies_to(self, path: str) -> bool:
        """Whether the path part of ``path`` contains the marker (Flink's ``isEntropyInjecting``).

        >>> marker = EntropyInjector("_e_")
        >>> marker.applies_to("s3://_e_bucket/x"), marker.applies_to("a/_e_/b")
        (False, True)
        """
        return self.key in _split(path)[1]

    def apply(self, path: str, inject: bool) -> str:
        """Rewrite the first marker in ``path``: random characters if ``inject``, else remove it.

        Paths without the marker are returned unchanged. ``path`` may be a URI or a bare key/path.

        >>> EntropyInjector("_e_").apply("data/_e_/part-_e_", inject=False)
        'data/part-_e_'
        >>> EntropyInjector("_e_").apply("data/x_e_y", inject=False)
        'data/xy'
        """
        prefix, rest = _split(path)
        index = rest.find(self.key)
        if index < 0:
            return path
        before, after = rest[:index], rest[index + len(self.key) :]
        if inject:
            return prefix + before + self.generate() + after
        if (before == "" or before.endswith("/")) and after.startswith("/"):
            after = after[1:]  # the marker was a whole segment: do not leave an empty one behind
        return prefix + before + after

    def __repr__(self) -> str:
        return f"EntropyInjector(key={self.key!r}, length={self.length!r})"


def _split(path: str) -> tuple[str, str]:
    """``(scheme://authority, path)`` for a URI; ``("", path)`` for a bare path."""
    match = _URI_PREFIX.match(path)
    if match is None:
        return "", path
    return match.group(0), path[match.end() :]

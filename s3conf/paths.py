"""Pure POSIX-like paths inside one S3 bucket: no I/O, no local-file behaviour.

S3 has buckets and keys, not directories; a path infers "directory" from its spelling alone, as the
Java NIO.2 provider does: ``/d/`` (a prefix) and ``/d`` (an object) are different paths. The working
directory is always the bucket root, so ``object``, ``./object``, ``/object`` and ``../object`` all
name the same key and compare equal.

>>> p = S3Path("mybucket", "/foo/./baa")
>>> str(p), p.parts, p.name, p.is_directory, p.key
('/foo/./baa', ('foo', '.', 'baa'), 'baa', False, 'foo/baa')
>>> p == S3Path("mybucket", "/foo/baa")
True
>>> S3Path("mybucket", "/this/location/") / "some/path"
S3Path('mybucket', '/this/location/some/path')
>>> str(S3Path("b-1", "/a/b/c").parent), str(S3Path("b-1", "a").parent)
('/a/b/', 'None')
>>> str(S3Path("b-1", "/a/b/../c/.").normalize())
'/a/c/'
>>> str(S3Path("b-1", "/a/b/c").relative_to("/a/b/"))
'c'
>>> S3Path.from_uri("s3://foo/foobar/x").key
'foobar/x'
>>> q = S3Path.from_uri("s3x://AKIA:hunter2@localhost:9000/b-1/dir/my%20file")
>>> q, q.as_uri()
(S3Path('b-1', '/dir/my file', endpoint='localhost:9000'), 's3x://localhost:9000/b-1/dir/my%20file')
"""

from __future__ import annotations

from collections.abc import Iterable

from s3conf.endpoint import Endpoint
from s3conf.redaction import shown
from s3conf.uri import check_bucket_name, format_uri, parse_uri

_DOTS = (".", "..")


def _normalized(parts: Iterable[str], absolute: bool) -> tuple[str, ...]:
    """Drop ``.``; let ``..`` remove its predecessor, vanish at an absolute root, stay at a relative start."""
    out: list[str] = []
    for part in parts:
        if part == ".":
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not absolute:
                out.append(part)
            continue
        out.append(part)
    return tuple(out)


class PathFlag(int):
    """A bool that can also be called: ``flag`` and ``flag()`` give the same truth value.

    pathlib spells ``is_absolute()`` as a method, while :class:`S3Path` has always had a property; a
    callable flag serves both without breaking either (``bool`` cannot be subclassed, so this is an
    ``int`` of 0 or 1 that prints as ``True``/``False``).

    >>> PathFlag(True), PathFlag(True)(), PathFlag(False) == False, PathFlag(1) == True
    (True, True, True, True)
    """

    __slots__ = ()

    def __new__(cls, value: object) -> PathFlag:
        return super().__new__(cls, bool(value))

    def __call__(self) -> bool:
        return bool(self)

    def __repr__(self) -> str:
        return repr(bool(self))

    __str__ = __repr__


_STORE_QUERIES = frozenset({"is_dir", "is_file", "exists", "stat", "iterdir", "glob", "open", "read_bytes"})


class S3Path:
    """A path in one bucket of one endpoint: (location, absolute?, parts, directory?).

    Equality, hashing and ordering use the location (bucket and endpoint ``host:port``), the parts
    resolved against the root and normalized, and the directory flag. The raw spelling (``.``, ``..``,
    repeated ``/``) survives in ``str(p)`` and :attr:`parts` until :meth:`normalize`; credentials and the
    endpoint protocol take no part. Combining or ordering paths of different locations raises
    ``ValueError``. ``os.PathLike`` is deliberately not implemented: these are not local paths.

    Args:
        bucket: S3 bucket name (checked against the S3 naming rules).
        path: POSIX-like path; a leading ``/`` makes it absolute, a trailing ``/`` a directory.
        endpoint: the ``s3x`` endpoint, or ``None`` for the configured ``s3://`` one.

    Raises:
        InvalidURIError: the bucket name is not a valid S3 bucket name.
    """

    __slots__ = ("_absolute", "_bucket", "_directory", "_endpoint", "_parts")

    def __init__(self, bucket: str, path: str = "/", *, endpoint: Endpoint | None = None) -> None:
        check_bucket_name(bucket)
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, got {type(path).__name__}")
        parts = tuple(part for part in path.split("/") if part)
        self._bucket = bucket
        self._endpoint = endpoint
        self._absolute = path.startswith("/")
        self._parts = parts
        self._directory = not parts or path.endswith("/") or parts[-1] in _DOTS

    def _make(self, absolute: bool, parts: tuple[str, ...], directory: bool) -> S3Path:
        """A path in this location, built from already split parts (no re-parsing, no bucket check)."""
        new = object.__new__(S3Path)
        new._bucket = self._bucket
        new._endpoint = self._endpoint
        new._absolute = absolute
        new._parts = parts
        new._directory = directory or not parts or parts[-1] in _DOTS
        return new

    @classmethod
    def from_uri(cls, uri: str, *, protocol: str = "https") -> S3Path:
        """The absolute path a ``s3://``/``s3a://``/``s3p://``/``s3x://`` URI names.

        The key becomes the path verbatim, so empty segments (``a//b``) collapse; such keys are reached
        by key through :mod:`s3conf.uri`, not by path.
        """
        parsed = parse_uri(uri, protocol=protocol)
        return cls(parsed.bucket, "/" + parsed.key, endpoint=parsed.endpoint)

    @property
    def bucket(self) -> str:
        """The bucket name."""
        return self._bucket

    @property
    def endpoint(self) -> Endpoint | None:
        """The ``s3x`` endpoint, or ``None`` for a plain ``s3://`` path."""
        return self._endpoint

    @property
    def parts(self) -> tuple[str, ...]:
        """The elements between slashes, as written (``.`` and ``..`` included until normalized)."""
        return self._parts

    @property
    def name(self) -> str:
        """The last element, ``""`` for the root and the empty path."""
        return self._parts[-1] if self._parts else ""

    @property
    def suffix(self) -> str:
        """The extension of :attr:`name` (``.gz`` for ``a.tar.gz``), ``""`` if none; as in pathlib."""
        name = self.name
        dot = name.rfind(".")
        return name[dot:] if 0 < dot < len(name) - 1 else ""

    @property
    def is_absolute(self) -> PathFlag:
        """Whether the path starts at the bucket root (a leading ``/``).

        Both spellings work: ``p.is_absolute`` (this class's property, kept for existing callers) and
        ``p.is_absolute()`` (pathlib's method). The value is a :class:`PathFlag`, which compares, hashes
        and tests like the bool; only an identity test (``p.is_absolute is True``) sees the difference.

        >>> p = S3Path("b-1", "/a")
        >>> p.is_absolute, p.is_absolute(), bool(S3Path("b-1", "a").is_absolute)
        (True, True, False)
        """
        return PathFlag(self._absolute)

    @property
    def is_directory(self) -> bool:
        """Whether the spelling says directory: empty, ``/``, trailing ``/``, or ending in ``.``/``..``."""
        return self._directory

    @property
    def parent(self) -> S3Path | None:
        """The directory holding this path, computed lexically; ``None`` at the top.

        ``/a/b/c`` -> ``/a/b/`` (absolute, a directory; unlike the Java provider's relative ``a/b/``),
        ``/a`` -> ``/``, ``/`` -> ``None``, ``a/b`` -> ``a/``, ``a`` -> ``None``.
        """
        if not self._parts:
            return None
        if len(self._parts) == 1:
            return self._make(True, (), True) if self._absolute else None
        return self._make(self._absolute, self._parts[:-1], True)

    @property
    def key(self) -> str:
        """The S3 object key: normalized, resolved against the root, ``/``-terminated for directories."""
        parts = _normalized(self._parts, True)
        if not parts:
            return ""
        return "/".join(parts) + ("/" if self._directory else "")

    def normalize(self) -> S3Path:
        """Drop ``.``, resolve ``..`` against its predecessor, keep absoluteness and the directory flag.

        ``..`` at the root of an absolute path is dropped; at the start of a relative path it is kept,
        since only resolution against a base can tell what it means.
        """
        return self._make(self._absolute, _normalized(self._parts, self._absolute), self._directory)

    def _location(self) -> tuple[str, str | None]:
        return (self._bucket, self._endpoint.netloc.lower() if self._endpoint is not None else None)

    def _coerce(self, other: S3Path | str, operation: str) -> S3Path:
        if isinstance(other, str):
            return S3Path(self._bucket, other, endpoint=self._endpoint)
        if not isinstance(other, S3Path):
            raise TypeError(f"cannot {operation} S3Path and {type(other).__name__}")
        if other._location() != self._location():
            raise ValueError(
                f"cannot {operation} paths of different locations: {self._shown()} and {other._shown()}"
            )
        return other

    def joinpath(self, *others: S3Path | str) -> S3Path:
        """Resolve each of ``others`` in turn: an absolute one replaces the result, a relative one appends.

        Appending works even when the base is not a directory (``/obj`` + ``x`` is ``/obj/x``); an empty
        path appends nothing. The result's directory flag is that of the last non-empty part joined.
        """
        result = self
        for item in others:
            other = self._coerce(item, "join")
            if other._absolute:
                result = other
            elif other._parts:
                result = self._make(result._absolute, result._parts + other._parts, other._directory)
        return result

    def __truediv__(self, other: S3Path | str) -> S3Path:
        if not isinstance(other, (S3Path, str)):
            return NotImplemented
        return self.joinpath(other)

    def __rtruediv__(self, other: str) -> S3Path:
        if not isinstance(other, str):
            return NotImplemented
        return S3Path(self._bucket, other, endpoint=self._endpoint).joinpath(self)

    def relative_to(self, other: S3Path | str) -> S3Path:
        """The relative path that leads from ``other`` to this path, comparing normalized parts.

        As in pathlib, ``/a/b/c`` is relative to ``/a/b`` and to ``/a/b/``; ``p.relative_to(p)`` is the
        empty path ``""``. The result keeps this path's directory flag.

        Raises:
            ValueError: not a sub-path, one path absolute and the other relative, or another location.
        """
        base = self._coerce(other, "relate")
        if base._absolute != self._absolute:
            kinds = ("absolute", "relative") if self._absolute else ("relative", "absolute")
            raise ValueError(f"cannot relate {kinds[0]} {shown(str(self))} to {kinds[1]} {shown(str(base))}")
        mine = _normalized(self._parts, self._absolute)
        theirs = _normalized(base._parts, base._absolute)
        if mine[: len(theirs)] != theirs:
            raise ValueError(f"{shown(str(self))} is not relative to {shown(str(base))}")
        rest = mine[len(theirs) :]
        return self._make(False, rest, self._directory if rest else True)

    def is_relative_to(self, other: S3Path | str) -> bool:
        """Whether :meth:`relative_to` would succeed; never raises for paths of other locations."""
        try:
            self.relative_to(other)
        except ValueError:
            return False
        return True

    def with_name(self, name: str) -> S3Path:
        """This path with its last element replaced; the directory flag is kept.

        Raises:
            ValueError: the path has no name (root, empty, ends in ``.``/``..``) or ``name`` is not
                one element.
        """
        if not self._parts or self._parts[-1] in _DOTS:
            raise ValueError(f"{shown(str(self))} has no name to replace")
        if not name or "/" in name or name in _DOTS:
            raise ValueError(f"invalid path element {shown(name)}")
        return self._make(self._absolute, (*self._parts[:-1], name), self._directory)

    def as_uri(self) -> str:
        """``s3://bucket/key`` or ``s3x://host:port/bucket/key``, no credentials; inverse of ``from_uri``."""
        return format_uri(self._bucket, self.key, endpoint=self._endpoint)

    def _identity(self) -> tuple[tuple[str, str | None], tuple[str, ...], bool]:
        return (self._location(), _normalized(self._parts, True), self._directory)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, S3Path):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def _order_key(self, other: S3Path) -> tuple[tuple[tuple[str, ...], bool], tuple[tuple[str, ...], bool]]:
        if other._location() != self._location():
            raise ValueError(
                f"cannot order paths of different locations: {self._shown()} and {other._shown()}"
            )
        mine, theirs = self._identity(), other._identity()
        return (mine[1], mine[2]), (theirs[1], theirs[2])

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, S3Path):
            return NotImplemented
        mine, theirs = self._order_key(other)
        return mine < theirs

    def __le__(self, other: object) -> bool:
        if not isinstance(other, S3Path):
            return NotImplemented
        mine, theirs = self._order_key(other)
        return mine <= theirs

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, S3Path):
            return NotImplemented
        mine, theirs = self._order_key(other)
        return mine > theirs

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, S3Path):
            return NotImplemented
        mine, theirs = self._order_key(other)
        return mine >= theirs

    def __getattr__(self, name: str) -> object:
        """Point pathlib users who reach for ``is_dir()`` & co. to where the answer lives.

        :class:`S3Path` is a pure path (no I/O), like pathlib's ``PurePath``; whether a directory or
        object exists is a question for the store. ``is_directory`` only says how the path is spelled.
        """
        if name in _STORE_QUERIES:
            raise AttributeError(
                f"S3Path is a pure path (no I/O) and has no {name}(): ask the store with "
                f"s3conf.fs.S3FileSystem(bucket).{name}(path) or UPath(path.as_uri()).{name}(); "
                "is_directory tells whether the path is spelled as a directory"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __str__(self) -> str:
        if not self._parts:
            return "/" if self._absolute else ""
        text = ("/" if self._absolute else "") + "/".join(self._parts)
        return text + "/" if self._directory and self._parts[-1] not in _DOTS else text

    def __repr__(self) -> str:
        endpoint = f", endpoint={self._endpoint.netloc!r}" if self._endpoint is not None else ""
        return f"S3Path({self._bucket!r}, {str(self)!r}{endpoint})"

    def _shown(self) -> str:
        """The ``repr`` for an error message: the path text through :func:`~s3conf.redaction.shown`.

        ``repr`` itself stays exact (a key with ``@`` is legal and a path is not a secret); a message
        redacts because it may end up in a log the path's owner never sees.
        """
        endpoint = f", endpoint={self._endpoint.netloc!r}" if self._endpoint is not None else ""
        return f"S3Path({self._bucket!r}, {shown(str(self))}{endpoint})"

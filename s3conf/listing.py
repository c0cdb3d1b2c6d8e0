"""Pure helpers behind directory inference and ``glob`` in :mod:`s3conf.fs`: keys in, names out.

S3 has keys, not directories. A directory ``d/`` exists when a marker key ``d/`` exists or any key
starts with ``d/``; these helpers derive directory entries from flat key listings without touching
the network, so the rules can be tested exhaustively and reused by :mod:`s3conf.fsspec`.

Glob patterns follow ``fnmatch`` inside one path segment and add ``**`` for any number of segments:

>>> rx = glob_regex("logs/**/*.csv")
>>> [bool(rx.match(k)) for k in ("logs/a.csv", "logs/2024/01/b.csv", "logs/a.txt", "other/a.csv")]
[True, True, False, False]
>>> bool(glob_regex("data/?.bin").match("data/x.bin")), bool(glob_regex("data/*").match("data/x/y"))
(True, False)

S3 has no hidden files, so ``*`` also matches names that start with ``.`` (unlike a shell).

>>> bool(glob_regex("*").match(".profile"))
True
>>> literal_prefix("logs/2024/*/x.csv")
'logs/2024/'
>>> sorted(implied_directories(["a/b/c.txt", "a/d.txt"], under=""))
['a/', 'a/b/']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["directory_prefix", "glob_regex", "has_magic", "implied_directories", "literal_prefix"]

_MAGIC = re.compile(r"[*?\[]")


def has_magic(pattern: str) -> bool:
    """Whether ``pattern`` contains a glob wildcard (``*``, ``?`` or ``[``).

    >>> has_magic("a/b.csv"), has_magic("a/*.csv")
    (False, True)
    """
    return _MAGIC.search(pattern) is not None


def directory_prefix(key: str) -> str:
    """The listing prefix for the directory named by ``key``: ``""`` for the root, else ``key/``.

    >>> directory_prefix(""), directory_prefix("a/b"), directory_prefix("a/b/")
    ('', 'a/b/', 'a/b/')
    """
    stripped = key.rstrip("/")
    return f"{stripped}/" if stripped else ""


def literal_prefix(pattern: str) -> str:
    """The longest run of whole segments before the first wildcard: where a listing can start.

    >>> literal_prefix("*.csv"), literal_prefix("a/b/c?.csv"), literal_prefix("a/b.csv")
    ('', 'a/b/', 'a/')
    """
    magic = _MAGIC.search(pattern)
    head = pattern if magic is None else pattern[: magic.start()]
    return head[: head.rfind("/") + 1]


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        index += 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = segment.find("]", index + 1 if segment[index : index + 1] in ("!", "]") else index)
            if end < 0:
                out.append(re.escape(char))
                continue
            body = segment[index:end]
            index = end + 1
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a glob over keys: ``*``/``?``/``[...]`` stay inside a segment, ``**`` spans segments.

    A ``**`` segment in the middle matches zero or more whole segments; a trailing ``**`` matches
    everything below. Leading and repeated ``/`` are ignored, as in :class:`s3conf.paths.S3Path`.

    >>> rx = glob_regex("/a/**")
    >>> bool(rx.match("a/b")), bool(rx.match("a/b/c")), bool(rx.match("b/c"))
    (True, True, False)
    >>> bool(glob_regex("a/[!x]*").match("a/y1")), bool(glob_regex("a/[!x]*").match("a/x1"))
    (True, False)
    """
    segments = [segment for segment in pattern.split("/") if segment]
    parts: list[str] = []
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def implied_directories(keys: Iterable[str], *, under: str) -> set[str]:
    """Every directory (``x/``) that the given keys imply strictly below the prefix ``under``.

    >>> sorted(implied_directories(["p/a/b/c", "p/x"], under="p/"))
    ['p/a/', 'p/a/b/']
    """
    directories: set[str] = set()
    for key in keys:
        rest = key[len(under) :]
        position = rest.find("/")
        while position > 0:
            directories.add(under + rest[: position + 1])
            position = rest.find("/", position + 1)
    return directories

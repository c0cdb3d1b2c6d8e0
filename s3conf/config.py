"""Layered s3conf settings with provenance.

Every setting has one canonical ``s3.*`` key (the Java NIO.2 provider's ``s3.spi.*`` names or Flink's
``s3.*`` names) plus the aliases people already type. :meth:`S3Config.resolve` merges four layers,
highest first, and remembers where each value came from, because "why is my fragment size 5 MiB?" is
the first question anyone asks of a layered configuration::

    explicit mapping  >  process-wide overrides  >  environment  >  defaults

Decisions (DESIGN.md section 4 leaves these open):

* **Namespaces.** Only the ``s3.`` namespace is ours: an unknown ``s3.*`` key is a :class:`ConfigError`.
  Known aliases in other namespaces (``fs.s3a.endpoint``, ``fs.s3a.access.key``...) are honoured; any
  other key outside ``s3.`` (``fs.s3a.fast.upload``, ``state.backend``, ``aws.region``) is ignored, so a
  whole Flink or Hadoop configuration can be handed over as it is, as Flink itself does.
  :func:`is_known_key` tells a caller (such as ``s3conf config``) which keys will be ignored.
* **Region.** ``aws.region`` is deliberately *not* an alias: when ``s3.spi.region`` is unset and no
  endpoint is configured the region stays ``None`` and boto3's own chain (``AWS_REGION``, profile...)
  decides, so we never second-guess the AWS SDK. With an endpoint set the default is ``us-east-1``.
* **Sizes** are binary, as in Flink's ``MemorySize``: ``k``/``kb``/``kib`` = 2**10, ``m``/``mb``/``mib``
  = 2**20, ``g``/``gb``/``gib`` = 2**30, ``t``/``tb``/``tib`` = 2**40, case-insensitive (Flink's
  ``1024mb`` is 1 GiB). Fractions are refused rather than rounded.
* **Durations** are seconds (int, float or a numeric string) or a number with a unit: ``ms``, ``s``,
  ``min``/``m``, ``h``, ``d`` (and their long spellings).
* **None** in an explicit or override mapping means "not given", so callers can pass optional values
  straight through. Empty strings are errors, never a silent "unset".
* **Aliases.** Besides DESIGN.md's list, Flink's mirrored spellings are accepted (``s3.access.key``,
  ``s3.secret.key``, ``s3.path-style-access``, and Hadoop's ``fs.s3a.path.style.access``). Two
  spellings of one key in the same layer must agree (after parsing: ``8MiB`` and ``8388608`` agree);
  across layers the higher layer wins.
* **Environment** names are the key upper-cased with ``.`` and ``-`` turned into ``_``; an alias's
  environment name counts too. Only names of known keys are looked up; nothing is read at import.

>>> env = {"S3_SPI_READ_MAX_FRAGMENT_NUMBER": "5"}
>>> cfg = S3Config.resolve({"s3.spi.read.fragment-size": "8MiB"}, env=env)
>>> cfg.fragment_size, cfg.source("s3.spi.read.max-fragment-size")
(8388608, 'explicit')
>>> cfg.fragment_number, cfg.source("s3.spi.read.max-fragment-number")
(5, 'env:S3_SPI_READ_MAX_FRAGMENT_NUMBER')
>>> cfg.region, cfg.source("s3.spi.region")
(None, 'default')
>>> S3Config.resolve({"s3.access-key": "AKIA", "s3.secret-key": "hunter2"}, env={}).secret_key
Secret('***')
>>> S3Config.resolve({"s3.spi.read.max-fragment-number": "0"}, env={})
Traceback (most recent call last):
...
s3conf.errors.ConfigError: s3.spi.read.max-fragment-number = '0' (from explicit): must be >= 1
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from s3conf.entropy import MAX_LENGTH as MAX_ENTROPY_LENGTH
from s3conf.errors import ConfigError
from s3conf.readpolicy import POLICIES, parse_policy
from s3conf.redaction import MASK, Secret, redact_userinfo, shown
from s3conf.values import (
    BOOL_HINT,
    DURATION_HINT,
    MAX_DURATION,
    SIZE_HINT,
    GiB,
    InvalidValueError,
    KiB,
    MiB,
    at_least,
    between,
    complaining,
    parse_bool,
    parse_duration,
    parse_endpoint,
    parse_int,
    parse_protocol,
    parse_secret,
    parse_size,
    parse_text,
)


@dataclass(frozen=True)
class KeySpec:
    """One setting: its canonical key, aliases, the field it fills, how to parse and check it."""

    key: str
    field: str
    parse: Callable[[object], Any]
    check: Callable[[Any], str | None] | None = None
    aliases: tuple[str, ...] = ()
    secret: bool = False
    description: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical key first, then its aliases."""
        return (self.key, *self.aliases)

    @property
    def is_size(self) -> bool:
        """Whether the value is a byte count (shown as ``8MiB`` by ``s3conf config``)."""
        return self.parse is _size

    @property
    def env_names(self) -> tuple[str, ...]:
        """Environment variable names, canonical first, without duplicates."""
        return tuple(dict.fromkeys(env_name(name) for name in self.names))


def env_name(key: str) -> str:
    """The environment variable for a key: upper-cased, ``.`` and ``-`` turned into ``_``.

    >>> env_name("s3.spi.read.max-fragment-size")
    'S3_SPI_READ_MAX_FRAGMENT_SIZE'
    """
    return key.upper().replace(".", "_").replace("-", "_")


_int = parse_int
_size = complaining(parse_size, f"not a size ({SIZE_HINT})")
_duration = complaining(parse_duration, f"not a duration ({DURATION_HINT})")
_bool = complaining(parse_bool, f"not a boolean ({BOOL_HINT})")
_policy = complaining(parse_policy, f"not a read policy ({', '.join(sorted(POLICIES))})")
_seconds = at_least(0, exclusive=True, at_most=MAX_DURATION, unit=" s (7 days)")

# The one table of settings. Order is the order `s3conf config` prints.
SPECS: tuple[KeySpec, ...] = (
    KeySpec("s3.spi.read.max-fragment-number", "fragment_number", _int, at_least(1),
            ("s3.spi.read.fragment-number",), description="fragments a reader caches and prefetches"),
    KeySpec("s3.spi.read.max-fragment-size", "fragment_size", _size, at_least(1),
            ("s3.spi.read.fragment-size",), description="bytes per read-ahead fragment"),
    KeySpec("s3.spi.read.max-inflight-bytes", "max_inflight_bytes", _size, at_least(1),
            description="process-wide budget of prefetched bytes in flight"),
    KeySpec("s3.spi.read.policy", "read_policy", _policy, None,
            ("fs.s3a.experimental.input.fadvise", "fs.s3a.input.fadvise"),
            description="what a reader fetches: adaptive, sequential, random or whole"),
    KeySpec("s3.spi.read.min-fetch", "read_min_fetch", _size, at_least(1),
            description="smallest GET of a random or seeking read"),
    KeySpec("s3.spi.read.adaptive.initial-window", "read_initial_window", _size, at_least(1),
            description="adaptive policy: first read-ahead window, quadrupled per sequential read"),
    KeySpec("s3.spi.read.small-object", "read_small_object", _size, at_least(0),
            description="adaptive policy: objects up to this size are read with one GET"),
    KeySpec("s3.spi.read.vectored.min-seek", "vectored_min_seek", _size, at_least(0),
            ("fs.s3a.vectored.read.min.seek.size",),
            description="vectored reads merge ranges this close"),
    KeySpec("s3.spi.read.vectored.max-merged", "vectored_max_merged", _size, at_least(0),
            ("fs.s3a.vectored.read.max.merged.size",),
            description="vectored reads never merge past this many bytes per GET"),
    KeySpec("s3.spi.endpoint-protocol", "endpoint_protocol", parse_protocol,
            description="protocol for s3x:// endpoints and host-only endpoints"),
    KeySpec("s3.spi.endpoint", "endpoint", parse_endpoint, None, ("s3.endpoint", "fs.s3a.endpoint"),
            description="host[:port] or URL of the store; unset means AWS"),
    KeySpec("s3.spi.force-path-style", "force_path_style", _bool, None,
            ("s3.path.style.access", "s3.path-style-access", "fs.s3a.path.style.access"),
            description="path-style instead of virtual-host addressing"),
    KeySpec("s3.spi.region", "region", parse_text,
            description="signing region; us-east-1 when an endpoint is set, else boto3's chain"),
    KeySpec("s3.access-key", "access_key", parse_text, None, ("s3.access.key", "fs.s3a.access.key"),
            description="access key id; unset means boto3's credential chain"),
    KeySpec("s3.secret-key", "secret_key", parse_secret, None, ("s3.secret.key", "fs.s3a.secret.key"),
            secret=True, description="secret access key (never shown)"),
    KeySpec("s3.entropy.key", "entropy_key", parse_text,
            description="path substring replaced by random characters (Flink)"),
    KeySpec("s3.entropy.length", "entropy_length", _int, at_least(1, at_most=MAX_ENTROPY_LENGTH),
            description="random characters injected for the entropy key"),
    KeySpec("s3.spi.timeouts.connect", "connect_timeout", _duration, _seconds,
            description="seconds to establish a connection"),
    KeySpec("s3.spi.timeouts.read", "read_timeout", _duration, _seconds,
            description="seconds to wait for response bytes"),
    KeySpec("s3.spi.timeouts.write", "write_timeout", _duration, _seconds,
            description="seconds to wait for an upload request's bytes (PUT, UploadPart, Complete)"),
    KeySpec("s3.spi.timeouts.operation", "operation_timeout", _duration, _seconds,
            description="total seconds for one operation with all its retries (a fragment, a part...)"),
    KeySpec("s3.spi.write.multipart-threshold", "multipart_threshold", _size, at_least(1),
            description="writes above this size use a multipart upload"),
    KeySpec("s3.spi.write.part-size", "multipart_part_size", _size, between(5 * MiB, 5 * GiB),
            ("s3.upload.min.part.size", "fs.s3a.multipart.size"),
            description="bytes per multipart part (S3 allows 5MiB..5GiB)"),
    KeySpec("s3.spi.write.max-parts-in-flight", "max_parts_in_flight", _int, between(1, 1000),
            ("s3.upload.max.concurrent.uploads",),
            description="part buffers a writer holds (filling + uploading); bounds its memory"),
    KeySpec("s3.spi.recoverable.temp-prefix", "recoverable_temp_prefix", parse_text,
            description="recoverable writer: put temporary tail objects under this prefix "
                        "(default: beside the final key, Flink's _name_tmp_UUID)"),
    KeySpec("s3.spi.recoverable.part-number-gaps", "recoverable_part_number_gaps", _bool,
            description="recoverable writer: a recovered stream numbers its parts past those a dead "
                        "writer may still send (S3 allows gaps); false for stores that want 1..N"),
    KeySpec("s3.spi.write.spool", "write_spool", _bool,
            description="spool writes to a local temp file and upload on close (default: stream)"),
    KeySpec("s3.connection.maximum", "connection_maximum", _int, at_least(1),
            ("fs.s3a.connection.maximum",), description="HTTP connection pool size"),
    KeySpec("s3.s5cmd.path", "s5cmd_path", parse_text, description="s5cmd binary for bulk copies (Flink)"),
    KeySpec("s3.s5cmd.args", "s5cmd_args", parse_text, description="extra s5cmd arguments"),
    KeySpec("s3.s5cmd.batch.max-size", "s5cmd_batch_max_size", _size, at_least(1),
            description="bytes per s5cmd call"),
    KeySpec("s3.s5cmd.batch.max-files", "s5cmd_batch_max_files", _int, at_least(1),
            description="files per s5cmd call"),
)  # fmt: skip

_BY_NAME: dict[str, KeySpec] = {name: spec for spec in SPECS for name in spec.names}
_BY_FIELD: dict[str, KeySpec] = {spec.field: spec for spec in SPECS}
KEYS: tuple[str, ...] = tuple(spec.key for spec in SPECS)
DEFAULT_ENDPOINT_REGION = "us-east-1"


def is_known_key(key: str) -> bool:
    """Whether ``key`` (canonical or alias) names an s3conf setting.

    >>> is_known_key("fs.s3a.endpoint"), is_known_key("aws.region"), is_known_key("s3.bogus")
    (True, False, False)
    """
    return key in _BY_NAME


def spec_for(key: str) -> KeySpec:
    """The spec of a canonical or alias key; :class:`ConfigError` for any other key."""
    try:
        return _BY_NAME[key]
    except KeyError:
        raise ConfigError(f"unknown configuration key {shown(key)}") from None


def _shown(spec: KeySpec, raw: object) -> str:
    return MASK if spec.secret else shown(raw)


def _named(spec: KeySpec, given: str) -> str:
    return given if given == spec.key else f"{given} (alias of {spec.key})"


class _Value(NamedTuple):
    value: Any
    source: str
    given: str
    raw: object


def _parse_layer(entries: list[tuple[str, object, str]]) -> dict[str, _Value]:
    """Parse one layer's ``(key, raw value, source)`` entries into field -> value, checking aliases."""
    layer: dict[str, _Value] = {}
    for given, raw, source in entries:
        if not isinstance(given, str):
            raise ConfigError(f"configuration keys must be strings, got {shown(given)} (from {source})")
        spec = _BY_NAME.get(given)
        if spec is None:
            if given.startswith("s3."):
                raise ConfigError(f"unknown configuration key {shown(given)} (from {source})")
            continue
        if raw is None:
            continue
        try:
            value = spec.parse(raw)
            problem = spec.check(value) if spec.check else None
        except InvalidValueError as error:
            problem = error.complaint
        if problem:
            raise ConfigError(f"{_named(spec, given)} = {_shown(spec, raw)} (from {source}): {problem}")
        earlier = layer.get(spec.field)
        if earlier is not None and earlier.value != value:
            raise ConfigError(
                f"conflicting values for {spec.key}: {earlier.given} = {_shown(spec, earlier.raw)} "
                f"(from {earlier.source}) and {given} = {_shown(spec, raw)} (from {source})"
            )
        layer.setdefault(spec.field, _Value(value, source, given, raw))
    return layer


def _mapping_entries(mapping: Mapping[str, object] | None, source: str) -> list[tuple[str, object, str]]:
    return [(key, raw, source) for key, raw in (mapping or {}).items()]


def _env_entries(env: Mapping[str, str]) -> list[tuple[str, object, str]]:
    entries: list[tuple[str, object, str]] = []
    for spec in SPECS:
        for name in spec.env_names:
            if name in env:
                key = next(alias for alias in spec.names if env_name(alias) == name)
                entries.append((key, env[name], f"env:{name}"))
    return entries


_overrides_lock = threading.Lock()
_overrides: dict[str, object] = {}


def set_overrides(mapping: Mapping[str, object]) -> None:
    """Replace the process-wide override layer (below explicit values, above the environment).

    The mapping is validated now, so a bad override fails where it is set, not at some later resolve.
    """
    layer = _parse_layer(_mapping_entries(mapping, "override"))
    # Parsed values, not the raw ones: a secret is held as a Secret from here on.
    canonical = {_BY_FIELD[name].key: parsed.value for name, parsed in layer.items()}
    with _overrides_lock:
        _overrides.clear()
        _overrides.update(canonical)


def clear_overrides() -> None:
    """Remove every process-wide override."""
    with _overrides_lock:
        _overrides.clear()


def current_overrides() -> dict[str, object]:
    """A copy of the override layer: parsed values by canonical key (the secret as a :class:`Secret`)."""
    with _overrides_lock:
        return dict(_overrides)


@contextmanager
def overrides(mapping: Mapping[str, object]) -> Iterator[None]:
    """Layer ``mapping`` on top of the current overrides for the ``with`` block, then restore them.

    >>> with overrides({"s3.spi.read.fragment-number": 7}):
    ...     S3Config.resolve(env={}).fragment_number
    7
    >>> S3Config.resolve(env={}).fragment_number
    50
    """
    previous = current_overrides()
    added = _parse_layer(_mapping_entries(mapping, "override"))
    set_overrides({**previous, **{_BY_FIELD[name].key: parsed.value for name, parsed in added.items()}})
    try:
        yield
    finally:
        set_overrides(previous)


def _check_key_pair(values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    """Half a key pair is an error now, naming where the half came from, rather than a client that
    silently signs with boto3's chain (no endpoint) or fails later without naming a key (endpoint)."""
    given = [
        spec
        for spec in (_BY_FIELD["access_key"], _BY_FIELD["secret_key"])
        if values.get(spec.field) is not None
    ]
    if len(given) == 1:
        (spec,) = given
        other = "s3.secret-key" if spec.field == "access_key" else "s3.access-key"
        raise ConfigError(
            f"{spec.key} = {_shown(spec, values[spec.field])} (from {sources.get(spec.key, 'explicit')}) "
            f"is set but {other} is not: give both, or neither to use boto3's credential chain"
        )


def _field_repr(value: object) -> str:
    return repr(redact_userinfo(value)) if isinstance(value, str) else repr(value)


@dataclass(frozen=True)
class S3Config:
    """Every s3conf setting, typed, with where each value came from.

    Build it with :meth:`resolve` (layers and provenance) or directly: ``S3Config()`` is the defaults,
    and keyword fields go through the same parsers and range checks (``S3Config(fragment_size="8MiB")``
    holds ``8388608``) and are reported as ``explicit``. Prefer :meth:`with_values` to
    ``dataclasses.replace``: it keeps the provenance of the values that did not change.
    """

    fragment_number: int = 50
    fragment_size: int = 5 * MiB
    endpoint_protocol: str = "https"
    endpoint: str | None = None
    force_path_style: bool = False
    access_key: str | None = None
    secret_key: Secret | None = None
    region: str | None = None
    entropy_key: str | None = None
    entropy_length: int = 4
    connect_timeout: float = 60.0
    read_timeout: float = 180.0
    write_timeout: float = 300.0
    operation_timeout: float = 300.0
    multipart_threshold: int = 8 * MiB
    multipart_part_size: int = 8 * MiB
    max_parts_in_flight: int = 8
    write_spool: bool = False
    recoverable_temp_prefix: str | None = None
    recoverable_part_number_gaps: bool = True
    max_inflight_bytes: int = 256 * MiB
    read_policy: str = "adaptive"
    read_min_fetch: int = 16 * KiB
    read_initial_window: int = 256 * KiB
    read_small_object: int = 1 * MiB
    vectored_min_seek: int = 64 * KiB
    vectored_max_merged: int = 8 * MiB
    connection_maximum: int = 64
    s5cmd_path: str | None = None
    s5cmd_args: str | None = None
    s5cmd_batch_max_size: int = 1024 * MiB
    s5cmd_batch_max_files: int = 100
    _sources: Mapping[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Direct construction (and dataclasses.replace) goes through the same parsers and range
        # checks as resolve(): fields that differ from their defaults count as explicit values.
        defaults = S3Config.__dataclass_fields__
        given = [spec for spec in SPECS if getattr(self, spec.field) != defaults[spec.field].default]
        layer = _parse_layer([(spec.key, getattr(self, spec.field), "explicit") for spec in given])
        for name, parsed in layer.items():
            object.__setattr__(self, name, parsed.value)
        object.__setattr__(self, "_sources", {_BY_FIELD[name].key: "explicit" for name in layer})
        _check_key_pair({name: getattr(self, name) for name in ("access_key", "secret_key")}, self._sources)
        if self.region is None and self.endpoint is not None:
            object.__setattr__(self, "region", DEFAULT_ENDPOINT_REGION)

    @classmethod
    def resolve(
        cls, explicit: Mapping[str, object] | None = None, env: Mapping[str, str] | None = None
    ) -> S3Config:
        """Merge explicit values > process-wide overrides > environment > defaults.

        Args:
            explicit: settings from the caller, by canonical or alias key; values typed or strings.
            env: the environment to read; ``None`` means ``os.environ`` at call time.

        Raises:
            ConfigError: an unknown ``s3.*`` key, a bad or out-of-range value, or conflicting aliases,
                naming the key, the value (``***`` for secrets) and the layer it came from.
        """
        layers = [
            _parse_layer(_mapping_entries(explicit, "explicit")),
            _parse_layer(_mapping_entries(current_overrides(), "override")),
            _parse_layer(_env_entries(os.environ if env is None else env)),
        ]
        return cls._from_layers(layers)

    @classmethod
    def _from_layers(cls, layers: list[dict[str, _Value]]) -> S3Config:
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for layer in reversed(layers):
            for name, parsed in layer.items():
                values[name] = parsed.value
                sources[_BY_FIELD[name].key] = parsed.source
        _check_key_pair(values, sources)  # the endpoint's default region: S3Config.__post_init__
        config = cls(**values)
        object.__setattr__(config, "_sources", sources)
        return config

    def with_values(self, mapping: Mapping[str, object]) -> S3Config:
        """A copy with ``mapping`` layered on top as explicit values (same rules as :meth:`resolve`).

        >>> S3Config().with_values({"fs.s3a.endpoint": "localhost:9000"}).region
        'us-east-1'
        """
        base = {
            spec.field: _Value(getattr(self, spec.field), self.source(spec.key), spec.key, None)
            for spec in SPECS
            if self.source(spec.key) != "default"
        }
        return self._from_layers([_parse_layer(_mapping_entries(mapping, "explicit")), base])

    def source(self, key: str) -> str:
        """Where the value of ``key`` (canonical or alias) came from: ``default``, ``explicit``,
        ``override`` or ``env:NAME``."""
        return self._sources.get(spec_for(key).key, "default")

    def get(self, key: str) -> Any:
        """The value of ``key`` (canonical or alias); the secret key stays a :class:`Secret`."""
        return getattr(self, spec_for(key).field)

    def describe(self) -> list[tuple[str, str | int | float | bool | None, str]]:
        """``(key, value, source)`` for every setting, for display: secrets as ``***``, and text that
        looks like userinfo (``s5cmd`` arguments with a URL, say) redacted."""
        rows: list[tuple[str, str | int | float | bool | None, str]] = []
        for spec in SPECS:
            value = self.get(spec.key)
            if spec.secret and value is not None:
                value = MASK
            elif isinstance(value, str):
                value = redact_userinfo(value)
            rows.append((spec.key, value, self.source(spec.key)))
        return rows

    def __repr__(self) -> str:
        fields = ", ".join(f"{spec.field}={_field_repr(getattr(self, spec.field))}" for spec in _FIELD_ORDER)
        return f"S3Config({fields})"


_FIELD_ORDER: tuple[KeySpec, ...] = tuple(
    _BY_FIELD[name] for name in S3Config.__dataclass_fields__ if name in _BY_FIELD
)
"""Specs in the order of the dataclass fields, so ``repr`` reads like the generated one."""

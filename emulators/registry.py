"""Every target by name, and how options reach the launcher that uses them.

Launcher modules are imported only when a target is created, so listing targets never imports the
Docker SDK or LocalStack, and a missing optional package only makes its own target unavailable.

>>> TARGET_NAMES
('moto', 'seaweedfs', 'rclone', 'container:seaweedfs', 'container:rclone', 'minio', 'localstack',
 'aws', 'external')
>>> server_name("container:rclone"), server_name("rclone")
('rclone', 'rclone')
>>> create_emulator("moto").name
'moto'
>>> create_emulator("nope")
Traceback (most recent call last):
...
s3conf.errors.ConfigError: unknown target 'nope'; known targets: moto, seaweedfs, rclone, ...
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from emulators.base import Emulator
from s3conf.errors import ConfigError

# name -> (module, class, {option name: launcher keyword}). The order is the listing order.
_LAUNCHERS: dict[str, tuple[str, str, dict[str, str]]] = {
    "moto": ("emulators.moto_target", "MotoEmulator", {}),
    "seaweedfs": ("emulators.seaweedfs_target", "SeaweedFSEmulator", {"extra_args": "extra_args"}),
    "rclone": ("emulators.rclone_target", "RcloneEmulator", {"extra_args": "extra_args"}),
    "container:seaweedfs": (
        "emulators.container_targets",
        "SeaweedFSContainer",
        {"extra_args": "extra_args", "image": "image"},
    ),
    "container:rclone": (
        "emulators.container_targets",
        "RcloneContainer",
        {"extra_args": "extra_args", "image": "image"},
    ),
    "minio": ("emulators.container_targets", "MinIOEmulator", {"image": "image"}),
    "localstack": ("emulators.container_targets", "LocalStackEmulator", {"image": "image"}),
    "aws": (
        "emulators.remote_targets",
        "AWSEmulator",
        {"aws_bucket_prefix": "bucket_prefix", "region": "region"},
    ),
    "external": (
        "emulators.remote_targets",
        "ExternalEmulator",
        {
            "endpoint": "endpoint",
            "access_key": "access_key",
            "secret_key": "secret_key",
            "region": "region",
            "bucket_prefix": "bucket_prefix",
        },
    ),
}

TARGET_NAMES: tuple[str, ...] = tuple(_LAUNCHERS)

#: Targets that run a server another target also runs (same binary, same flags): they share its
#: expectations, and are left out of the default selection (they would double a plain test run).
SAME_SERVER_AS: dict[str, str] = {"container:seaweedfs": "seaweedfs", "container:rclone": "rclone"}

#: Targets selected when none is named (every other target is opt-in by name).
DEFAULT_TARGET_NAMES: tuple[str, ...] = tuple(name for name in TARGET_NAMES if name not in SAME_SERVER_AS)


def server_name(target: str) -> str:
    """The server ``target`` runs: the key of its expectations (``container:rclone`` -> ``rclone``)."""
    return SAME_SERVER_AS.get(target, target)


#: Environment variables that supply options (command-line options win over them).
ENV_OPTIONS: dict[str, str] = {
    "endpoint": "S3CONF_ENDPOINT",
    "access_key": "S3CONF_ACCESS_KEY",
    "secret_key": "S3CONF_SECRET_KEY",
    "region": "S3CONF_REGION",
    "bucket_prefix": "S3CONF_BUCKET_PREFIX",
    "aws_bucket_prefix": "S3CONF_AWS_BUCKET_PREFIX",
}


def check_target_names(names: list[str], source: str) -> list[str]:
    """Reject unknown names with a :class:`ConfigError` naming the name and where it came from.

    >>> check_target_names(["moto", "rclone"], "--target")
    ['moto', 'rclone']
    """
    for name in names:
        if name not in _LAUNCHERS:
            raise ConfigError(
                f"unknown target {name!r} (from {source}); known targets: {', '.join(TARGET_NAMES)}"
            )
    return names


def parse_target_list(text: str, source: str) -> list[str]:
    """Parse ``S3CONF_TARGETS``-style text (comma or space separated), validating each name.

    >>> parse_target_list("moto, seaweedfs", "S3CONF_TARGETS")
    ['moto', 'seaweedfs']
    """
    names = [part for part in text.replace(",", " ").split() if part]
    return check_target_names(names, source)


def parse_image_options(values: list[str], source: str) -> dict[str, str]:
    """``TARGET=IMAGE`` pairs (``--image``) as a dict, for targets that run an image.

    >>> parse_image_options(["minio=quay.io/minio/minio:RELEASE.2025-01-01"], "--image")
    {'minio': 'quay.io/minio/minio:RELEASE.2025-01-01'}
    >>> parse_image_options(["moto=x"], "--image")
    Traceback (most recent call last):
    ...
    s3conf.errors.ConfigError: --image moto=x: target 'moto' runs no image; image targets: container:...
    """
    takes_image = [name for name, (_, _, accepted) in _LAUNCHERS.items() if "image" in accepted]
    images: dict[str, str] = {}
    for value in values:
        name, equals, image = value.partition("=")
        if not equals or not image:
            raise ConfigError(f"{source} {value}: expected TARGET=IMAGE, e.g. minio=minio/minio:latest")
        if name not in takes_image:
            raise ConfigError(
                f"{source} {value}: target {name!r} runs no image; image targets: {', '.join(takes_image)}"
            )
        images[name] = image
    return images


def options_from_env(env: Mapping[str, str], **given: Any) -> dict[str, Any]:
    """Merge explicit options (``None`` means not given) over the ``S3CONF_*`` environment."""
    options: dict[str, Any] = {key: env[var] for key, var in ENV_OPTIONS.items() if env.get(var)}
    options.update({key: value for key, value in given.items() if value is not None})
    return options


def create_emulator(name: str, **options: Any) -> Emulator:
    """A stopped launcher for target ``name``; options it does not use are ignored.

    Raises:
        ConfigError: ``name`` is not a known target.
    """
    try:
        module_name, class_name, accepted = _LAUNCHERS[name]
    except KeyError:
        raise ConfigError(f"unknown target {name!r}; known targets: {', '.join(TARGET_NAMES)}") from None
    launcher = getattr(importlib.import_module(module_name), class_name)
    options = {**options, "image": (options.get("images") or {}).get(name)}
    kwargs = {
        keyword: options[option] for option, keyword in accepted.items() if options.get(option) is not None
    }
    emulator: Emulator = launcher(**kwargs)
    return emulator

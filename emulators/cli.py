"""``s3conf targets``: which S3 targets can run here, why not, and (with ``--start``) their versions.

The same availability checks the pytest plugin uses for its skip reasons, so what this prints is
exactly what a test run will do. Two subcommands look after the container targets:
``s3conf targets build-images`` builds the local ``FROM scratch`` images of SeaweedFS and rclone from
the installed wheels (reusing them when present), and ``s3conf targets reap`` removes what a crashed
run left on the Docker engine.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from emulators.registry import (
    TARGET_NAMES,
    check_target_names,
    create_emulator,
    options_from_env,
    parse_image_options,
)
from s3conf.errors import S3ConfError, TargetUnavailableError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``targets`` subcommand."""
    parser = subparsers.add_parser(
        "targets",
        help="list S3 targets, whether they can run here and why not",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--target",
        action="append",
        metavar="NAME",
        help=f"only this target (repeatable; known: {', '.join(TARGET_NAMES)})",
    )
    parser.add_argument(
        "--start", action="store_true", help="start each available target and show its version"
    )
    parser.add_argument("--endpoint", help="URL of the external target")
    parser.add_argument("--access-key", help="access key of the external target")
    parser.add_argument("--secret-key", help="secret key of the external target")
    parser.add_argument("--region", help="region (external, aws)")
    parser.add_argument("--bucket-prefix", help="bucket name prefix (external)")
    parser.add_argument(
        "--image", action="append", default=[], metavar="TARGET=IMAGE", help="image of a container target"
    )
    parser.set_defaults(func=run_targets)
    actions = parser.add_subparsers(dest="targets_action", metavar="{build-images,reap}")
    build = actions.add_parser(
        "build-images",
        help="build the local SeaweedFS and rclone images from the installed wheels (no registry)",
        description=build_images.__doc__.splitlines()[0] if build_images.__doc__ else None,
    )
    build.add_argument("--name", action="append", metavar="NAME", help="only this image (seaweedfs, rclone)")
    build.set_defaults(func=build_images)
    reap = actions.add_parser(
        "reap",
        help="remove containers, networks and volumes left by s3conf processes that are gone",
        description=reap_leftovers.__doc__.splitlines()[0] if reap_leftovers.__doc__ else None,
    )
    reap.set_defaults(func=reap_leftovers)


def run_targets(args: argparse.Namespace, console: Console | None = None) -> int:
    """Print one row per target; exit 1 if a target that is available fails to start, else 0."""
    out = console or Console()
    try:
        names = check_target_names(list(args.target), "--target") if args.target else list(TARGET_NAMES)
        images = parse_image_options(args.image, "--image")
    except S3ConfError as error:
        out.print(f"error: {error}", markup=False, highlight=False)
        return 2
    options = options_from_env(
        os.environ,
        endpoint=args.endpoint,
        access_key=args.access_key,
        secret_key=args.secret_key,
        region=args.region,
        bucket_prefix=args.bucket_prefix,
    )
    options["images"] = images
    table = Table(title="s3conf targets")
    for column in ("target", "available", "details", "version"):
        table.add_column(column)
    status = 0
    for name in names:
        row, failed = _describe(name, options, start=args.start)
        status = 1 if failed else status
        table.add_row(*(escape(cell) for cell in row))
    out.print(table)
    return status


def _describe(name: str, options: dict[str, Any], *, start: bool) -> tuple[tuple[str, str, str, str], bool]:
    try:
        emulator = create_emulator(name, **options)
    except S3ConfError as error:
        return (name, "no", str(error), ""), False
    ok, reason = emulator.available()
    if not ok:
        return (name, "no", reason, ""), False
    if not start:
        return (name, "yes", reason, "(use --start)"), False
    try:
        with emulator as endpoint:
            return (name, "yes", f"started at {endpoint.url}", endpoint.version or "unknown"), False
    except TargetUnavailableError as error:  # found out only by starting (e.g. a missing image)
        return (name, "no", str(error), ""), False
    except S3ConfError as error:
        return (name, "yes", f"failed to start: {error}", ""), True


def build_images(args: argparse.Namespace, console: Console | None = None) -> int:
    """Build (or reuse) the ``FROM scratch`` images of the servers the wheels ship; no registry needed.

    Uses the running Docker engine, or starts Debian's ``dockerd`` for the duration when it is
    installed and we are root. Exit 0 when every image is present afterwards, 2 without an engine,
    1 when a build failed.
    """
    from emulators.docker_engine import acquire_engine, release_engine
    from emulators.docker_images import ensure_image, scratch_images

    out = console or Console()
    recipes = scratch_images()
    names = args.name or list(recipes)
    unknown = [name for name in names if name not in recipes]
    if unknown:
        out.print(f"error: unknown image {unknown[0]!r}; known: {', '.join(recipes)}", markup=False)
        return 2
    client, reason = acquire_engine()
    if client is None:
        out.print(f"error: {reason}", markup=False, highlight=False)
        return 2
    status = 0
    try:
        for name in names:
            try:
                tag, built = ensure_image(client, recipes[name])
            except S3ConfError as error:
                out.print(f"{name}: {error}", markup=False, highlight=False)
                status = 1
                continue
            size = client.images.get(tag).attrs.get("Size", 0) / 1e6
            out.print(f"{tag}: {'built' if built else 'present, reused'} ({size:.0f} MB)", markup=False)
    finally:
        client.close()
        release_engine()
    return status


def reap_leftovers(args: argparse.Namespace, console: Console | None = None) -> int:
    """Remove labelled containers, networks and volumes whose s3conf process is gone (after a crash)."""
    from emulators.containers import reap_orphans
    from emulators.docker_engine import docker_client

    out = console or Console()
    client, reason = docker_client()
    if client is None:
        out.print(f"nothing to reap: {reason}", markup=False, highlight=False)
        return 0
    try:
        removed = reap_orphans(client)
    finally:
        client.close()
    for entry in removed:
        out.print(f"removed {entry}", markup=False)
    out.print(f"{len(removed)} leftover resource(s) removed", markup=False)
    return 0

"""``s3conf targets build-images`` and ``s3conf targets reap`` on the real engine, and ``--image``."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console

from emulators.cli import register
from emulators.docker_engine import image_in_engine_store
from emulators.docker_images import DIGEST_LABEL, IMAGE_LABEL, scratch_images


def _run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["targets", *argv])
    out = io.StringIO()
    func: Callable[..., int] = args.func
    return func(args, Console(file=out, width=400)), out.getvalue()


def test_build_images_tags_with_the_version_and_reuses(docker_engine: Any) -> None:
    _run("build-images")  # the first call may build; the second must reuse
    status, text = _run("build-images")
    assert status == 0
    for image in scratch_images().values():
        line = next(line for line in text.splitlines() if line.startswith(f"s3conf/{image.name}:"))
        assert "present, reused" in line
        tag = line.split(":", 2)[0] + ":" + line.split(":", 2)[1]
        labels = docker_engine.images.get(tag).labels
        assert labels[IMAGE_LABEL] == image.name
        assert len(labels[DIGEST_LABEL]) == 64
        assert image_in_engine_store(tag), "the on-disk store check misses a present image"


def test_reap_reports_what_it_removed(docker_engine: Any) -> None:
    status, text = _run("reap")
    assert status == 0
    assert "leftover resource(s) removed" in text


@pytest.mark.parametrize(
    ("value", "message"),
    [("moto=x", "target 'moto' runs no image"), ("minio", "expected TARGET=IMAGE")],
    ids=["not-a-container-target", "no-equals"],
)
def test_bad_image_option_exits_2_naming_it(value: str, message: str) -> None:
    status, text = _run("--image", value)
    assert status == 2
    assert message in text


def test_an_image_named_with_image_is_the_one_checked(docker_engine: Any) -> None:
    status, text = _run("--target", "minio", "--image", "minio=s3conf/absent:never")
    assert status == 0
    assert "s3conf/absent:never not present locally" in text

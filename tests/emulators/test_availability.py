"""Targets that cannot run here say precisely why, without starting anything or using the network."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from emulators.pytest_plugin import TargetPool
from emulators.registry import TARGET_NAMES, create_emulator, options_from_env, parse_target_list
from s3conf.errors import ConfigError, TargetError


@pytest.fixture
def no_aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Isolate botocore from the developer's real credentials and profiles."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


@pytest.mark.usefixtures("no_aws_config")
def test_aws_is_opt_in_even_with_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    ok, reason = create_emulator("aws").available()
    assert not ok
    assert "S3CONF_AWS_BUCKET_PREFIX" in reason


@pytest.mark.usefixtures("no_aws_config")
def test_aws_needs_credentials_once_opted_in() -> None:
    ok, reason = create_emulator("aws", aws_bucket_prefix="ci-").available()
    assert not ok
    assert "no AWS credentials" in reason


@pytest.mark.usefixtures("no_aws_config")
def test_aws_available_with_prefix_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    emulator = create_emulator("aws", **options_from_env({"S3CONF_AWS_BUCKET_PREFIX": "ci-"}))
    assert emulator.available()[0]
    assert emulator.bucket_prefix == "ci-"


def test_external_needs_an_endpoint() -> None:
    ok, reason = create_emulator("external").available()
    assert not ok
    assert "--endpoint" in reason


def test_external_takes_options_from_env_and_hides_the_secret() -> None:
    env = {
        "S3CONF_ENDPOINT": "http://127.0.0.1:9",
        "S3CONF_ACCESS_KEY": "vendor",
        "S3CONF_SECRET_KEY": "vendor-secret-value",
        "S3CONF_BUCKET_PREFIX": "acme-",
    }
    emulator = create_emulator("external", **options_from_env(env))
    assert emulator.available() == (True, "endpoint http://127.0.0.1:9")
    assert emulator.bucket_prefix == "acme-"
    assert "vendor-secret-value" not in repr(emulator) + " ".join(emulator.launch_flags)


def test_bad_bucket_prefix_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="'Bad_Prefix'"):
        create_emulator("external", endpoint="http://127.0.0.1:9", bucket_prefix="Bad_Prefix")


def test_minio_without_engine_names_the_socket(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    socket_path = tmp_path / "docker.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{socket_path}")
    ok, reason = create_emulator("minio").available()
    assert not ok
    assert str(socket_path) in reason
    assert "no Docker engine" in reason


def test_localstack_needs_its_package_or_an_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    ok, reason = create_emulator("localstack").available()
    assert not ok
    assert "localstack" in reason or "Docker" in reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [("moto", ["moto"]), ("moto,rclone", ["moto", "rclone"]), (" seaweedfs  moto ", ["seaweedfs", "moto"])],
    ids=["one", "comma", "spaces"],
)
def test_target_lists_parse(text: str, expected: list[str]) -> None:
    assert parse_target_list(text, "S3CONF_TARGETS") == expected


def test_unknown_target_in_env_names_it_and_the_source() -> None:
    with pytest.raises(ConfigError, match=r"'mini0'.*S3CONF_TARGETS"):
        parse_target_list("moto,mini0", "S3CONF_TARGETS")


def test_every_target_has_a_launcher_with_its_name() -> None:
    assert [create_emulator(name).name for name in TARGET_NAMES] == list(TARGET_NAMES)


# --- opted in but broken: an error naming the cause, never a skip (issue 16 item 7) ----------------

AWS_SECRET = "QzXjAWSsecretVALUE42"


def _broken_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    return "no-such-profile"


def _unparsable_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    path = tmp_path / "credentials"
    path.write_text(
        f"[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = {AWS_SECRET}\n[broken\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(path))
    return "Unable to parse config file"


def _half_a_key_pair(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    return "missing: AWS_SECRET_ACCESS_KEY"


def _failing_credential_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    path = tmp_path / "config"
    path.write_text(f"[default]\ncredential_process = sh -c 'echo {AWS_SECRET} >&2; exit 1'\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(path))
    return "custom-process failed"


BROKEN = [_broken_profile, _unparsable_credentials, _half_a_key_pair, _failing_credential_process]


@pytest.mark.usefixtures("no_aws_config")
@pytest.mark.parametrize(
    "breakage", BROKEN, ids=["missing-profile", "unparsable-file", "half-pair", "process"]
)
def test_opted_in_aws_with_broken_credentials_fails_naming_the_cause(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, breakage: Callable[[pytest.MonkeyPatch, Path], str]
) -> None:
    cause = breakage(monkeypatch, tmp_path)
    emulator = create_emulator("aws", aws_bucket_prefix="ci-")
    assert emulator.available()[0], "opted in and configured: not a skip"
    with pytest.raises(TargetError, match="AWS credentials could not be loaded") as caught:
        emulator.start()
    assert cause in str(caught.value)
    assert AWS_SECRET not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__  # the botocore error, which may quote more, is not chained
    pool = TargetPool(names=["aws"], emulators={"aws": emulator})
    with pytest.raises(TargetError):  # what every test using the target sees: an error, not a skip
        pool.get("aws")


@pytest.mark.usefixtures("no_aws_config")
def test_broken_credentials_without_opt_in_stay_a_skip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _broken_profile(monkeypatch, tmp_path)
    emulator = create_emulator("aws")
    assert emulator.available() == (
        False,
        "opt-in only: set S3CONF_AWS_BUCKET_PREFIX (buckets are created and deleted under it) "
        "and provide AWS credentials",
    )
    with pytest.raises(pytest.skip.Exception, match="S3CONF_AWS_BUCKET_PREFIX"):
        TargetPool(names=["aws"], emulators={"aws": emulator}).get("aws")


@pytest.mark.parametrize(
    ("options", "cause"),
    [
        ({"access_key": "vendor"}, "--access-key and --secret-key must be given together"),
        ({"secret_key": AWS_SECRET}, "--access-key and --secret-key must be given together"),
        ({"endpoint": f"http://vendor:{AWS_SECRET}@127.0.0.1:9"}, "must not contain credentials"),
        ({"endpoint": "ftp://127.0.0.1:9"}, "must be http(s)://host[:port]"),
    ],
    ids=["access-key-only", "secret-key-only", "userinfo-in-url", "not-http"],
)
def test_opted_in_external_with_a_bad_setup_fails_naming_the_cause(
    options: dict[str, str], cause: str
) -> None:
    emulator = create_emulator("external", **{"endpoint": "http://127.0.0.1:9", **options})
    assert emulator.available()[0]
    with pytest.raises(TargetError) as caught:
        emulator.start()
    assert cause in str(caught.value)
    assert AWS_SECRET not in str(caught.value) + " ".join(emulator.launch_flags) + emulator.available()[1]

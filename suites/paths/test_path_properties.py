"""Laws of :class:`s3conf.paths.S3Path`: round trips, normalization, parent, join, relative_to, equality."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from s3conf.endpoint import Endpoint
from s3conf.paths import S3Path
from s3conf.redaction import Secret
from suites.paths.strategies import buckets, endpoints, path_strings, paths

BUCKET = "some-bucket"


@given(paths())
def test_uri_round_trip(path: S3Path) -> None:
    assert S3Path.from_uri(path.as_uri()) == path


@given(paths())
def test_uri_round_trip_keeps_the_key(path: S3Path) -> None:
    assert S3Path.from_uri(path.as_uri()).key == path.key


@given(buckets(), path_strings())
def test_string_round_trip_keeps_the_spelling(bucket: str, text: str) -> None:
    path = S3Path(bucket, text)
    again = S3Path(bucket, str(path))
    assert (again.is_absolute, again.parts, again.is_directory) == (
        path.is_absolute,
        path.parts,
        path.is_directory,
    )
    assert str(again) == str(path)


@given(path_strings())
def test_directory_flag_follows_the_spelling(text: str) -> None:
    elements = [part for part in text.split("/") if part]
    expected = not elements or text.endswith("/") or elements[-1] in (".", "..")
    assert S3Path(BUCKET, text).is_directory == expected


@given(paths())
def test_normalize_is_idempotent_and_keeps_flags(path: S3Path) -> None:
    once = path.normalize()
    assert once.normalize().parts == once.parts
    assert (once.is_absolute, once.is_directory) == (path.is_absolute, path.is_directory)
    assert "." not in once.parts
    assert once == path


@given(paths())
def test_normalized_dotdot_only_leads_relative_paths(path: S3Path) -> None:
    parts = path.normalize().parts
    leading = len(parts) - len(tuple(part for part in parts if part != ".."))
    assert parts[:leading] == ("..",) * leading
    if path.is_absolute:
        assert leading == 0


@given(paths())
def test_parent_is_a_directory_one_element_up(path: S3Path) -> None:
    parent = path.parent
    if parent is None:
        assert len(path.parts) == 0 or (not path.is_absolute and len(path.parts) == 1)
        return
    assert parent.is_directory
    assert parent.is_absolute == path.is_absolute
    assert parent.parts == path.parts[:-1]


@given(paths(dots=False))
def test_path_is_relative_to_its_parent(path: S3Path) -> None:
    parent = path.parent
    assume(parent is not None)
    assert parent is not None
    assert path.is_relative_to(parent)
    assert path.relative_to(parent).parts == (path.name,)


@given(paths(bucket=BUCKET), path_strings(absolute=True))
def test_absolute_other_wins_in_join(base: S3Path, other: str) -> None:
    joined = base / other
    assert (joined.parts, joined.is_absolute, joined.is_directory) == (
        S3Path(BUCKET, other).parts,
        True,
        S3Path(BUCKET, other).is_directory,
    )


@given(paths(bucket=BUCKET), path_strings(absolute=False))
def test_relative_other_is_appended(base: S3Path, other: str) -> None:
    tail = S3Path(BUCKET, other, endpoint=base.endpoint)
    joined = base / tail
    assert joined.parts == base.parts + tail.parts
    assert joined.is_absolute == base.is_absolute
    assert joined.is_directory == (tail.is_directory if tail.parts else base.is_directory)


@given(paths(bucket=BUCKET), path_strings(), path_strings())
def test_join_is_associative(base: S3Path, first: str, second: str) -> None:
    one, two = (S3Path(BUCKET, text, endpoint=base.endpoint) for text in (first, second))
    assert (base / one) / two == base / (one / two) == base.joinpath(first, second)


@given(paths(absolute=True), st.data())
def test_base_joined_with_relative_part_gives_back_the_path(path: S3Path, data: st.DataObject) -> None:
    normal = path.normalize()
    cut = data.draw(st.integers(min_value=0, max_value=len(normal.parts)), label="cut")
    base = S3Path(path.bucket, "/" + "/".join(normal.parts[:cut]), endpoint=path.endpoint)
    rest = path.relative_to(base)
    assert not rest.is_absolute
    if cut < len(normal.parts):
        assert base / rest == path
        assert path.is_relative_to(str(base) + "/")
    else:
        assert str(rest) == ""
        assert rest.is_directory


@given(paths())
def test_relative_to_itself_is_empty(path: S3Path) -> None:
    assert str(path.relative_to(path)) == ""


@given(paths(absolute=True, bucket=BUCKET), paths(absolute=False, bucket=BUCKET))
def test_mixing_absolute_and_relative_is_refused(absolute: S3Path, relative: S3Path) -> None:
    relative = S3Path(BUCKET, str(relative), endpoint=absolute.endpoint)
    assert not absolute.is_relative_to(relative)
    assert not relative.is_relative_to(absolute)
    with pytest.raises(ValueError, match="absolute"):
        absolute.relative_to(relative)


@given(path_strings())
def test_other_locations_never_mix(text: str) -> None:
    mine, other_bucket = S3Path("bucket-a", text), S3Path("bucket-b", text)
    endpoint = Endpoint(name="h:1", url="http://h:1")
    elsewhere = S3Path("bucket-a", text, endpoint=endpoint)
    for other in (other_bucket, elsewhere):
        assert mine != other
        assert not mine.is_relative_to(other)
        with pytest.raises(ValueError, match="different locations"):
            mine / other
        with pytest.raises(ValueError, match="different locations"):
            mine.relative_to(other)
        with pytest.raises(ValueError, match="different locations"):
            mine < other  # noqa: B015 - the comparison itself must raise


@given(buckets(), path_strings(), endpoints(with_credentials=False), st.text(min_size=1), st.text(min_size=1))
def test_credentials_and_protocol_take_no_part_in_equality(
    bucket: str, text: str, endpoint: Endpoint, access: str, secret: str
) -> None:
    plain = S3Path(bucket, text, endpoint=endpoint)
    other_protocol = "http" if endpoint.scheme == "https" else "https"
    signed = S3Path(
        bucket,
        text,
        endpoint=Endpoint(name="x", url=f"{other_protocol}://{endpoint.netloc}").with_credentials(
            access, Secret(secret)
        ),
    )
    assert plain == signed
    assert hash(plain) == hash(signed)
    assert plain.as_uri() == signed.as_uri()


@given(paths(bucket=BUCKET), paths(bucket=BUCKET))
def test_equality_matches_hash_and_order(left: S3Path, right: S3Path) -> None:
    right = S3Path(BUCKET, str(right), endpoint=left.endpoint)
    if left == right:
        assert hash(left) == hash(right)
        assert left.key == right.key
    assert sum((left < right, left == right, left > right)) == 1
    assert (left <= right) == (left < right or left == right)
    assert (left >= right) == (left > right or left == right)


@given(paths())
def test_key_matches_normalized_spelling(path: S3Path) -> None:
    key = path.key
    assert not key.startswith("/")
    assert key.endswith("/") == (path.is_directory and key != "")
    assert S3Path(path.bucket, "/" + key, endpoint=path.endpoint) == path

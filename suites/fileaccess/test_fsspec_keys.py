"""One URL, one object (issue 13, defect 4).

An ``s3x://`` URL is percent-decoded exactly as :mod:`s3conf.uri` decodes it, so ``S3Path.as_uri()``
handed to pandas reads the key it names; a bare name returned by ``ls``/``find``/``glob`` is verbatim,
so it opens again. Odd keys (spaces, ``+``, ``%``, ``#``, ``?``, ``@``, glob characters, unicode) are
written with plain boto3 and read back through fsspec on every target, from a table and from
hypothesis. A ``/`` in a secret and a dataset over a URL with credentials are checked too.
"""

from __future__ import annotations

from typing import Any

import fsspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3conf.errors import InvalidURIError
from s3conf.paths import S3Path

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ds = pytest.importorskip("pyarrow.dataset")

ODD_NAMES = [
    "my file.csv",
    "a+b.csv",
    "100%.csv",
    "%20literal.csv",
    "x#y?z.csv",
    "user@example.csv",
    "[br]ack*.csv",
    "ünï cødé 中.csv",
    "two  spaces .csv",
]
NAME_CHARACTERS = " +%#?&=@!$'(),;:[]~-_aZ9é中"


@pytest.fixture(autouse=True)
def _http_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_SPI_ENDPOINT_PROTOCOL", "http")


def _options(target: Any) -> dict[str, str]:
    return {"key": target.endpoint.access_key, "secret": target.endpoint.secret_key.reveal()}


def _round_trip(target: Any, s3_client: Any, bucket: str, names: list[str]) -> None:
    bodies = {f"d/{name}": f"a\n{index}\n".encode() for index, name in enumerate(names)}
    for key, body in bodies.items():
        s3_client.put_object(Bucket=bucket, Key=key, Body=body)
    filesystem = fsspec.filesystem("s3x", **_options(target))
    base = f"{target.endpoint.netloc}/{bucket}"
    for key, body in bodies.items():
        uri = S3Path(bucket, "/" + key, endpoint=target.endpoint).as_uri()
        frame = pd.read_csv(uri, storage_options=_options(target))
        assert frame["a"].tolist() == [int(body.split()[1])], key
    listed = filesystem.ls(f"s3x://{base}/d", detail=False)
    found = filesystem.find(f"s3x://{base}/d")
    globbed = filesystem.glob(f"s3x://{base}/d/*")
    expected = sorted(f"{base}/{key}" for key in bodies)
    assert (sorted(listed), found, sorted(globbed)) == (expected, expected, expected)
    for name in found:
        key = name[len(base) + 1 :]
        assert filesystem.cat_file(name) == bodies[key]
        with filesystem.open(filesystem.unstrip_protocol(name), "rb") as handle:
            assert handle.read() == bodies[key]


@pytest.mark.parametrize("name", ODD_NAMES, ids=range(len(ODD_NAMES)))
def test_odd_keys_round_trip(target: Any, s3_client: Any, bucket: str, name: str) -> None:
    if not target.capabilities.flat_namespace and any(c in name for c in "?#*[]"):
        pytest.skip(f"{target.name} stores keys as file names")
    _round_trip(target, s3_client, bucket, [name])


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    names=st.lists(
        st.text(NAME_CHARACTERS, min_size=1, max_size=10).filter(lambda n: n.strip(".") and n == n.strip()),
        min_size=1,
        max_size=4,
        unique=True,
    )
)
def test_hypothesis_keys_round_trip(target: Any, s3_client: Any, bucket: str, names: list[str]) -> None:
    if not target.capabilities.flat_namespace:
        pytest.skip(f"{target.name} stores keys as file names")
    try:
        _round_trip(target, s3_client, bucket, names)
    finally:
        for name in names:
            s3_client.delete_object(Bucket=bucket, Key=f"d/{name}")


def test_a_slash_in_a_secret_says_to_encode_it_and_shows_none_of_it() -> None:
    url = "s3x://AKIA:top/secret-tail@127.0.0.1:9000/b-1/x.csv"
    for attempt in (lambda: pd.read_csv(url), lambda: fsspec.filesystem("s3x").cat(url)):
        with pytest.raises(InvalidURIError, match="percent-encode / in credentials") as raised:
            attempt()
        assert "secret-tail" not in str(raised.value)
        assert "top" not in str(raised.value)


def test_a_dataset_under_a_url_with_credentials(target: Any, bucket: str) -> None:
    endpoint = target.endpoint
    secret = endpoint.secret_key.reveal()
    prefix = f"s3x://{endpoint.access_key}:{secret}@{endpoint.netloc}/{bucket}/sales"
    filesystem, path = fsspec.core.url_to_fs(prefix)
    for part in range(2):
        with filesystem.open(f"{path}/part-{part}.parquet", "wb") as handle:
            pq.write_table(pa.table({"n": [part, part + 10]}), handle)
    dataset = ds.dataset(path, filesystem=filesystem, format="parquet")
    assert sorted(dataset.to_table()["n"].to_pylist()) == [0, 1, 10, 11]
    if secret not in endpoint.netloc + bucket:
        assert secret not in str(dataset.files)
    assert sorted(pd.read_parquet(prefix)["n"].tolist()) == [0, 1, 10, 11]

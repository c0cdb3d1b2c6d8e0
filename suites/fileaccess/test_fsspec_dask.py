"""Scale-out: Dask ``read_parquet``/``to_parquet`` on ``s3x://`` with a cluster of worker processes.

Workers are separate processes: they see only what Dask sends them (the pickled file system, the paths)
and their own environment, so a credential remembered in the client process would not reach them.
Credentials come three ways, each run on the same small cluster (two worker processes, started once
for the session: pytest runs the tests of one target together across modules, so a module-scoped
cluster would be started again for every target): in the URL, as ``storage_options``, and from the
environment (set in the workers too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

ROWS = 40


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """Two worker processes, one thread each; no credentials in their environment at start."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: 8787 may be taken (another run, another xdist worker)
        env={"S3_SPI_ENDPOINT_PROTOCOL": "http"},
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _set_environment(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.mark.parametrize("credentials", ["url", "storage_options", "environment"])
def test_parquet_round_trip_on_worker_processes(
    target: Any, bucket: str, dask_client: Any, credentials: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3_SPI_ENDPOINT_PROTOCOL", "http")
    endpoint = target.endpoint
    secret = endpoint.secret_key.reveal()
    userinfo = f"{endpoint.access_key}:{secret}@" if credentials == "url" else ""
    url = f"s3x://{userinfo}{endpoint.netloc}/{bucket}/table"
    options = {"key": endpoint.access_key, "secret": secret} if credentials == "storage_options" else {}
    environment: dict[str, str | None] = {"S3_ACCESS_KEY": endpoint.access_key, "S3_SECRET_KEY": secret}
    if credentials == "environment":
        for name, value in environment.items():
            monkeypatch.setenv(name, str(value))
        dask_client.run(_set_environment, environment)
    try:
        frame = pd.DataFrame({"n": range(ROWS), "half": [i % 2 for i in range(ROWS)]})
        dd.from_pandas(frame, npartitions=2).to_parquet(url, storage_options=options, write_index=False)
        back = dd.read_parquet(url, storage_options=options).compute()
    finally:
        dask_client.run(_set_environment, dict.fromkeys(environment))
    assert sorted(back["n"].tolist()) == list(range(ROWS))
    workers = dask_client.run(os.getpid)
    assert os.getpid() not in workers.values()

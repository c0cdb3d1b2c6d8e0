"""Repository-wide pytest setup: hypothesis profiles and the targets plugin.

``HYPOTHESIS_PROFILE`` selects ``ci`` (bounded, the default under ``nox -s tests``), ``dev``,
``mutation`` (small and derandomized: ``nox -s mutation`` reruns the suites per mutant) or
``thorough`` (long; ``nox -s thorough``). ``s3conf conformance`` run from the repository root (as
``nox -s conformance`` does) also loads this file, in an environment without the test tools: there
hypothesis is absent and the profiles, which only the property suites use, are not registered.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

if importlib.util.find_spec("hypothesis") is not None:
    from hypothesis import HealthCheck, Phase, settings

    settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True, print_blob=True)
    settings.register_profile("dev", max_examples=50, deadline=None)
    # nox -s mutation: each mutant reruns the property suites, so fewer examples, the same every run,
    # and no shrinking (a mutant only needs one failing example; shrinking it costs more than the run).
    settings.register_profile(
        "mutation",
        max_examples=25,
        deadline=None,
        derandomize=True,
        phases=(Phase.explicit, Phase.generate),
    )
    settings.register_profile(
        "thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

pytest_plugins = ("emulators.pytest_plugin",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``nox -s tests`` runs two workers), every test that drives the Docker engine
    runs on one worker: the engine is started and stopped per process (``docker_engine``), and two
    workers doing that at once would stop it under each other's containers."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        callspec = getattr(item, "callspec", None)
        target = str(callspec.params.get("target", "")) if callspec is not None else ""
        docker = "docker_engine" in getattr(item, "fixturenames", ()) or target.startswith("container:")
        if docker or "/test_container_" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("docker"))

"""Repository-wide pytest setup: hypothesis profiles and the targets plugin.

``HYPOTHESIS_PROFILE`` selects ``ci`` (bounded, the default under ``nox -s tests``), ``dev`` or
``thorough`` (long; ``nox -s thorough``). ``s3conf conformance`` run from the repository root (as
``nox -s conformance`` does) also loads this file, in an environment without the test tools: there
hypothesis is absent and the profiles, which only the property suites use, are not registered.
"""

from __future__ import annotations

import importlib.util
import os

if importlib.util.find_spec("hypothesis") is not None:
    from hypothesis import HealthCheck, settings

    settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True, print_blob=True)
    settings.register_profile("dev", max_examples=50, deadline=None)
    settings.register_profile(
        "thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

pytest_plugins = ("emulators.pytest_plugin",)

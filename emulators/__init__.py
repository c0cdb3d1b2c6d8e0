"""S3 targets behind one interface: emulators, local servers, containers, AWS and vendor endpoints.

>>> from emulators import TARGET_NAMES, create_emulator
>>> "seaweedfs" in TARGET_NAMES
True
>>> with create_emulator("moto") as endpoint:  # doctest: +SKIP
...     print(endpoint.url)
"""

from __future__ import annotations

from emulators.base import Capabilities, Emulator
from emulators.registry import TARGET_NAMES, create_emulator

__all__ = ["TARGET_NAMES", "Capabilities", "Emulator", "create_emulator"]

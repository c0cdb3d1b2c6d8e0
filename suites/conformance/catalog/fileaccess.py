"""The s3conf file-access layer on the target: our reader, writer and file system pass here."""

from __future__ import annotations

"""Uploaded files checked for what they would cost to read, before any parser sees them.

An XLSX file is a ZIP archive; a few hundred kilobytes of it can inflate to gigabytes
("zip bomb"). `check_zip` reads only the archive's directory (zipfile's infolist: each member's
declared size and compressed size; zipfile never inflates a member past its declared size, so
the declared sizes bound what a parser can be made to hold) and refuses the file when

    the members add up to more than CROSSDOCK_MAX_UNZIPPED_BYTES (default 100 MB; a 200,000-line
        bill written by openpyxl is about 81 MB),
    one member inflates more than CROSSDOCK_MAX_ZIP_RATIO times (default 100; spreadsheets
        compress 5-20 times, bombs 1,000 times and more), or
    the archive has more than MAX_ZIP_MEMBERS members, or
    a member a reader holds whole rather than streams (HELD_WHOLE: an XLSX file's shared
        strings) unpacks to more than its own limit (32 MiB).

Text uploads are bounded by the body limit (api/limits.py) and, per parser, in rows and columns
(MAX_COLUMNS here; rows in each parser, e.g. adapters/settlement/bills.py's MAX_ROWS).

A refused file raises `UploadTooLarge` (answered 413, naming the limit and its setting), before
anything is parsed or stored.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 1_000
MAX_COLUMNS = 200  # columns in an uploaded table: carrier bills have about 10-20
# Members a reader holds whole rather than streams: openpyxl keeps every shared string of a
# workbook in a list (a sheet is streamed row by row). A 200,000-line bill needs about 6 MB.
HELD_WHOLE = {"xl/sharedStrings.xml": 32 * 1024 * 1024}


class UploadTooLarge(Exception):
    """An upload that would cost too much to read: `detail` says which limit it broke."""

    def __init__(self, detail: str, limit: int | float, setting: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.limit = limit
        self.setting = setting

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": "too_large", "detail": self.detail, "limit": self.limit}
        if self.setting:
            out["setting"] = self.setting
        return out


@dataclass(frozen=True)
class ZipLimits:
    max_unzipped_bytes: int = DEFAULT_MAX_UNZIPPED_BYTES
    max_ratio: float = DEFAULT_MAX_ZIP_RATIO
    max_members: int = MAX_ZIP_MEMBERS
    held_whole: tuple[tuple[str, int], ...] = tuple(HELD_WHOLE.items())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ZipLimits:
        env = os.environ if env is None else env
        unzipped = env.get("CROSSDOCK_MAX_UNZIPPED_BYTES", "").strip().replace("_", "")
        ratio = env.get("CROSSDOCK_MAX_ZIP_RATIO", "").strip()
        return cls(
            max_unzipped_bytes=int(unzipped) if unzipped else DEFAULT_MAX_UNZIPPED_BYTES,
            max_ratio=float(ratio) if ratio else DEFAULT_MAX_ZIP_RATIO,
        )


def is_zip(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


def check_zip(data: bytes, limits: ZipLimits | None = None) -> None:
    """Refuse (UploadTooLarge) an archive that would inflate past the limits; a file that is
    not a readable archive passes, for its parser to reject in its own words."""
    limits = limits or ZipLimits.from_env()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    if len(members) > limits.max_members:
        raise UploadTooLarge(
            f"the archive has {len(members):,} members; at most {limits.max_members:,}",
            limits.max_members,
        )
    held = dict(limits.held_whole)
    total = 0
    for m in members:
        cap = held.get(m.filename)
        if cap is not None and m.file_size > cap:
            raise UploadTooLarge(
                f"archive member {m.filename[:80]!r} unpacks to {m.file_size:,} bytes; "
                f"at most {cap:,} (it is read whole)",
                cap,
            )
        total += m.file_size
        if total > limits.max_unzipped_bytes:
            raise UploadTooLarge(
                f"the archive unpacks to more than {limits.max_unzipped_bytes:,} bytes "
                f"(limit set by CROSSDOCK_MAX_UNZIPPED_BYTES)",
                limits.max_unzipped_bytes,
                "CROSSDOCK_MAX_UNZIPPED_BYTES",
            )
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > 1024 and ratio > limits.max_ratio:
            raise UploadTooLarge(
                f"archive member {m.filename[:80]!r} inflates {ratio:,.0f} times "
                f"({m.compress_size:,} -> {m.file_size:,} bytes); at most {limits.max_ratio:g} "
                f"(limit set by CROSSDOCK_MAX_ZIP_RATIO)",
                limits.max_ratio,
                "CROSSDOCK_MAX_ZIP_RATIO",
            )

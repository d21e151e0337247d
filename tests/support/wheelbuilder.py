"""Build small, real, byte-for-byte reproducible wheels and sdists for tests.

Tests need wheel files that behave like the ones on a real index (valid filenames, a
``dist-info`` directory with ``METADATA``, ``WHEEL`` and a ``RECORD`` whose hashes are
right) without a build backend and without network access.  Every zip entry gets the
same timestamp and permissions, so the same inputs always give the same bytes — lock
files that embed hashes can then be compared to snapshots.

``extra_entries`` are written as-is, after ``RECORD`` and without a ``RECORD`` line,
so tests can craft hostile wheels (``../`` paths, absolute paths, duplicate names).
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import tarfile
import warnings
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

#: Timestamp of every archive member: the earliest a zip file can hold, as a fixed point.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
#: The same instant for tar members (seconds since the epoch).
TAR_MTIME = 315_532_800


def distribution_name(name: str) -> str:
    """The project name as wheel and sdist filenames spell it: ``Foo.Bar`` → ``foo_bar``."""
    return canonicalize_name(name, validate=True).replace("-", "_")


def core_metadata(
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] = (),
    requires_python: str | None = None,
    provides_extra: Sequence[str] = (),
) -> bytes:
    """Core metadata (version 2.1) in its email-header form, as METADATA and PKG-INFO hold it."""
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {Version(version)}"]
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {requirement}" for requirement in requires_dist)
    lines.extend(f"Provides-Extra: {extra}" for extra in provides_extra)
    return ("\n".join(lines) + "\n\n").encode()


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    tags: Sequence[str] = ("py3-none-any",),
    requires_dist: Sequence[str] = (),
    requires_python: str | None = None,
    provides_extra: Sequence[str] = (),
    files: Mapping[str, bytes] | None = None,
    entry_points: str | None = None,
    extra_entries: Sequence[tuple[str, bytes]] = (),
    build_tag: str | None = None,
) -> Path:
    """Write one wheel into ``dest`` and return its path.

    ``tags`` are (possibly compressed) tag strings; together they must form one
    compressed tag set, which the filename carries.  ``files`` maps archive paths to
    contents and may replace the default ``<name>/__init__.py``.
    """
    python, abi, platform = _compressed_tag(tags)
    dist, norm_version = distribution_name(name), str(Version(version))
    build = f"-{build_tag}" if build_tag is not None else ""
    filename = f"{dist}-{norm_version}{build}-{python}-{abi}-{platform}.whl"
    parse_wheel_filename(filename)  # rejects a bad build tag or name early, with a clear message
    dist_info = f"{dist}-{norm_version}.dist-info"
    metadata = core_metadata(
        name,
        version,
        requires_dist=requires_dist,
        requires_python=requires_python,
        provides_extra=provides_extra,
    )
    entries = _payload(dist, norm_version, files or {})
    if any(path.startswith(f"{dist_info}/") for path in entries):
        raise ValueError(f"files may not write into {dist_info}/; use extra_entries for that")
    entries[f"{dist_info}/METADATA"] = metadata
    entries[f"{dist_info}/WHEEL"] = _wheel_file(tags, build_tag)
    if entry_points is not None:
        entries[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    record_path = f"{dist_info}/RECORD"
    entries[record_path] = _record(entries, record_path)
    return _write(dest / filename, _zip_bytes([*entries.items(), *extra_entries]))


def build_sdist(
    dest: Path,
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] = (),
    requires_python: str | None = None,
) -> Path:
    """Write a tiny reproducible ``<name>-<version>.tar.gz`` holding PKG-INFO and a pyproject."""
    base = f"{distribution_name(name)}-{Version(version)}"
    pkg_info = core_metadata(
        name, version, requires_dist=requires_dist, requires_python=requires_python
    )
    pyproject = f'[project]\nname = "{name}"\nversion = "{version}"\n'.encode()
    members = [(f"{base}/PKG-INFO", pkg_info), (f"{base}/pyproject.toml", pyproject)]
    return _write(dest / f"{base}.tar.gz", _tar_gz_bytes(members))


def sha256_b64(data: bytes) -> str:
    """The hash as RECORD spells it: urlsafe base64 without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _compressed_tag(tags: Sequence[str]) -> tuple[str, str, str]:
    """Join tag strings into one compressed set; refuse sets that would claim extra tags."""
    if not tags:
        raise ValueError("a wheel needs at least one tag")
    fields: tuple[list[str], list[str], list[str]] = ([], [], [])
    for tag in tags:
        parse_tag(tag)  # validates the three-part shape
        for known, part in zip(fields, tag.split("-"), strict=True):
            known.extend(item for item in part.split(".") if item not in known)
    joined = (".".join(fields[0]), ".".join(fields[1]), ".".join(fields[2]))
    if parse_tag("-".join(joined)) != _expanded(tags):
        raise ValueError(
            f"tags {list(tags)} do not form one compressed tag set "
            f"({'-'.join(joined)} would add tags); build separate wheels instead"
        )
    return joined


def _expanded(tags: Iterable[str]) -> frozenset[Tag]:
    return frozenset(tag for compressed in tags for tag in parse_tag(compressed))


def _wheel_file(tags: Sequence[str], build_tag: str | None) -> bytes:
    expanded = sorted(str(tag) for tag in _expanded(tags))
    purelib = all(tag.endswith("-none-any") for tag in expanded)
    lines = [
        "Wheel-Version: 1.0",
        "Generator: omniwheel-tests",
        f"Root-Is-Purelib: {'true' if purelib else 'false'}",
    ]
    if build_tag is not None:
        lines.append(f"Build: {build_tag}")
    lines.extend(f"Tag: {tag}" for tag in expanded)
    return ("\n".join(lines) + "\n").encode()


def _payload(dist: str, version: str, files: Mapping[str, bytes]) -> dict[str, bytes]:
    entries = {f"{dist}/__init__.py": f'__version__ = "{version}"\n'.encode()}
    entries.update(files)
    return entries


def _record(entries: Mapping[str, bytes], record_path: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for path, data in entries.items():
        writer.writerow([path, f"sha256={sha256_b64(data)}", str(len(data))])
    writer.writerow([record_path, "", ""])
    return out.getvalue().encode()


def _zip_bytes(entries: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        # Duplicate names are a deliberate attack shape in extra_entries.
        warnings.simplefilter("ignore", UserWarning)
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode bits below mean what they say
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _tar_gz_bytes(members: Iterable[tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for path, data in members:
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), TAR_MTIME, 0o644
            archive.addfile(info, io.BytesIO(data))
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0) as gz:
        gz.write(raw.getvalue())
    return compressed.getvalue()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path

"""Unpacking untrusted wheels: one hostile wheel per rule, and what a good one becomes."""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from omniwheel.store.unpack import (
    WHOLE_ENTRY_BYTES,
    UnpackLimits,
    UnsafeWheelError,
    unpack_wheel,
)
from tests.support.wheelbuilder import ZIP_TIMESTAMP, build_wheel

FILENAME = "demo-1.0-py3-none-any.whl"


def _demo(
    wheel_dir: Path,
    *,
    files: Mapping[str, bytes] | None = None,
    extra_entries: Sequence[tuple[str, bytes]] = (),
) -> Path:
    return build_wheel(wheel_dir, "demo", "1.0", files=files, extra_entries=extra_entries)


def _rewritten(
    wheel: Path, *, replace: Mapping[str, bytes] = {}, drop: frozenset[str] = frozenset()
) -> Path:
    """A copy of ``wheel`` with some entries' bytes replaced or dropped (RECORD untouched)."""
    out = wheel.with_name(f"rewritten-{wheel.name}")
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename not in drop:
                target.writestr(info, replace.get(info.filename, source.read(info)))
    return out


def _with_symlink(wheel: Path, name: str, points_to: str) -> Path:
    with zipfile.ZipFile(wheel, "a") as archive:
        info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, points_to)
    return wheel


def _refusal(wheel: Path, dest: Path, limits: UnpackLimits | None = None) -> UnsafeWheelError:
    with pytest.raises(UnsafeWheelError) as caught:
        unpack_wheel(wheel, dest, filename=FILENAME, limits=limits)
    assert caught.value.wheel == FILENAME
    assert FILENAME in caught.value.message
    return caught.value


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("../evil.py", "`..`"),
        ("demo/../../evil.py", "`..`"),
        ("/etc/evil.py", "absolute"),
        ("C:/evil.py", "drive letter"),
        ("demo\\evil.py", "backslash"),
        ("demo//evil.py", "empty or `.`"),
        ("demo/./evil.py", "empty or `.`"),
        ("demo/__init__.py", "twice"),
        ("DEMO/__init__.py", "twice"),
        ("demo/unlisted.py", "not listed in RECORD"),
    ],
)
def test_hostile_entry_names_are_refused_before_writing(
    wheel_dir: Path, tmp_path: Path, entry: str, problem: str
) -> None:
    wheel = _demo(wheel_dir, extra_entries=[(entry, b"print('pwned')\n")])
    error = _refusal(wheel, tmp_path / "out")
    assert error.entry == entry
    assert problem in error.problem
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.py").exists()


def test_symlink_entries_are_refused(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _with_symlink(_demo(wheel_dir), "demo/link", "/etc/passwd")
    error = _refusal(wheel, tmp_path / "out")
    assert error.entry == "demo/link"
    assert "symbolic link" in error.problem


def test_a_file_that_is_also_a_directory_is_refused(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _demo(wheel_dir, files={"demo/a": b"", "demo/a/b.py": b""})
    assert _refusal(wheel, tmp_path / "out").entry == "demo/a"


def test_total_size_over_the_limit_is_refused(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _demo(wheel_dir, files={"demo/big.bin": b"x" * 5000})
    error = _refusal(wheel, tmp_path / "out", UnpackLimits(max_total_bytes=4096))
    assert error.entry == "demo/big.bin"
    assert "zip bomb" in error.problem


def test_an_entry_that_expands_too_much_is_refused(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _demo(wheel_dir, files={"demo/zeros.bin": bytes(200_000)})
    limits = UnpackLimits(max_ratio=50, ratio_floor_bytes=1000)
    error = _refusal(wheel, tmp_path / "out", limits)
    assert error.entry == "demo/zeros.bin"
    assert "50x" in error.problem


def test_the_default_limits_accept_well_compressible_files(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _demo(wheel_dir, files={"demo/zeros.bin": bytes(200_000)})
    unpack_wheel(wheel, tmp_path / "out", filename=FILENAME)
    assert (tmp_path / "out" / "demo" / "zeros.bin").stat().st_size == 200_000


# Small entries are read and inflated whole, larger ones stream through zipfile: both are checked.
SIZES = pytest.mark.parametrize("size", [10, WHOLE_ENTRY_BYTES + 1], ids=["whole", "streamed"])


@SIZES
def test_content_that_does_not_match_record_is_refused(
    wheel_dir: Path, tmp_path: Path, size: int
) -> None:
    wheel = _demo(wheel_dir, files={"demo/__init__.py": b"A" * size})
    wheel = _rewritten(wheel, replace={"demo/__init__.py": b"B" * size})
    error = _refusal(wheel, tmp_path / "out")
    assert error.entry == "demo/__init__.py"
    assert "RECORD says" in error.problem


@SIZES
def test_entries_of_every_size_unpack_whole(wheel_dir: Path, tmp_path: Path, size: int) -> None:
    content = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    wheel = _demo(wheel_dir, files={"demo/data.bin": content})
    unpack_wheel(wheel, tmp_path / "out", filename=FILENAME)
    assert (tmp_path / "out" / "demo" / "data.bin").read_bytes() == content


def _patched(wheel: Path, old: bytes, new: bytes, *, last: bool = False) -> Path:
    """``wheel`` with the first (or last) occurrence of ``old`` (raw archive bytes) replaced
    by ``new``, of the same length."""
    data = wheel.read_bytes()
    at = data.rindex(old) if last else data.index(old)
    wheel.write_bytes(data[:at] + new + data[at + len(old) :])
    return wheel


def _stored_demo(wheel_dir: Path, content: bytes) -> Path:
    """A wheel whose ``demo/__init__.py`` is stored uncompressed (so tests can edit its bytes)."""
    wheel = _demo(wheel_dir, files={"demo/__init__.py": content})
    stored = wheel.with_name(f"stored-{wheel.name}")
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(stored, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "demo/__init__.py":
                info.compress_type = zipfile.ZIP_STORED
            target.writestr(info, data)
    return stored


def test_a_local_header_naming_another_file_is_refused(wheel_dir: Path, tmp_path: Path) -> None:
    # The name is in the entry's local header first, then in the central directory.
    wheel = _patched(
        _stored_demo(wheel_dir, b"VALUE = 1\n"), b"demo/__init__.py", b"demo/__init__.pz"
    )
    assert "names another file" in _refusal(wheel, tmp_path / "out").problem


def test_bytes_that_do_not_match_record_are_refused(wheel_dir: Path, tmp_path: Path) -> None:
    # RECORD's hash covers the bytes the CRC-32 would: the hash is what refuses them.
    wheel = _patched(
        _stored_demo(wheel_dir, b"VALUE = 12345\n"), b"VALUE = 12345", b"VALUE = 54321"
    )
    error = _refusal(wheel, tmp_path / "out")
    assert error.entry == "demo/__init__.py"
    assert "RECORD says" in error.problem


def test_an_unhashed_entry_that_does_not_match_its_crc_is_refused(
    wheel_dir: Path, tmp_path: Path
) -> None:
    # RECORD gives its signature files no hash: their CRC-32 is still checked.
    signature = "demo-1.0.dist-info/RECORD.jws"
    wheel = _demo(wheel_dir)
    signed = wheel.with_name(f"signed-{wheel.name}")
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(signed, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("/RECORD"):
                data += f"{signature},,\n".encode()
            target.writestr(info, data)
        target.writestr(zipfile.ZipInfo(signature, date_time=ZIP_TIMESTAMP), b"SIGNED-12345")
    _patched(signed, b"SIGNED-12345", b"SIGNED-54321")
    error = _refusal(signed, tmp_path / "out")
    assert "CRC" in error.problem


def test_an_entry_longer_than_declared_is_refused(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _demo(wheel_dir, files={"demo/zeros.bin": bytes(5000)})
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo("demo/zeros.bin")
    # The sizes (compressed, then uncompressed) in the central directory, the last copy.
    compressed = info.compress_size.to_bytes(4, "little")
    declared, smaller = (5000).to_bytes(4, "little"), (4000).to_bytes(4, "little")
    wheel = _patched(wheel, compressed + declared, compressed + smaller, last=True)
    assert "4000 bytes as declared" in _refusal(wheel, tmp_path / "out").problem


def test_a_wheel_without_record_is_refused(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _rewritten(_demo(wheel_dir), drop=frozenset({"demo-1.0.dist-info/RECORD"}))
    assert _refusal(wheel, tmp_path / "out").entry == "demo-1.0.dist-info/RECORD"


def test_record_with_a_weak_hash_is_refused(wheel_dir: Path, tmp_path: Path) -> None:
    record = b"demo/__init__.py,md5=abc,1\ndemo-1.0.dist-info/RECORD,,\n"
    wheel = _rewritten(_demo(wheel_dir), replace={"demo-1.0.dist-info/RECORD": record})
    assert "unusable hash" in _refusal(wheel, tmp_path / "out").problem


def test_unknown_data_directories_are_refused(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _demo(wheel_dir, files={"demo-1.0.data/elsewhere/x.txt": b"x"})
    assert _refusal(wheel, tmp_path / "out").entry == "demo-1.0.data/elsewhere/x.txt"


def test_a_second_dist_info_directory_is_refused(wheel_dir: Path, tmp_path: Path) -> None:
    wheel = _demo(wheel_dir, files={"other-2.0.dist-info/METADATA": b"Name: other\n"})
    assert "one .dist-info" in _refusal(wheel, tmp_path / "out").problem


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / FILENAME
    wheel.write_bytes(b"<html>not a wheel</html>")
    assert "not a valid zip" in _refusal(wheel, tmp_path / "out").problem


def test_a_good_wheel_becomes_read_only_files_with_executable_scripts(
    wheel_dir: Path, tmp_path: Path
) -> None:
    wheel = _demo(
        wheel_dir,
        files={
            "demo/__init__.py": b"VALUE = 1\n",
            "demo/sub/data.txt": b"hello\n",
            "demo-1.0.data/scripts/demo-tool": b"#!python\nprint('hi')\n",
        },
    )
    out = tmp_path / "out"
    unpack_wheel(wheel, out, filename=FILENAME)
    assert (out / "demo" / "__init__.py").read_bytes() == b"VALUE = 1\n"
    assert (out / "demo" / "sub" / "data.txt").read_bytes() == b"hello\n"
    assert stat.S_IMODE((out / "demo" / "__init__.py").stat().st_mode) == 0o444
    assert stat.S_IMODE((out / "demo-1.0.data" / "scripts" / "demo-tool").stat().st_mode) == 0o555
    assert (out / "demo-1.0.dist-info" / "RECORD").is_file()

"""Short human descriptions of target lists, for summaries and error messages.

Twenty targets written out one by one make a summary unreadable; grouped by platform they read
``linux-x86_64-glibc2.28 @3.12,3.13; windows-x86_64 @3.12``, and a Python-only split reads
``Python 3.11 (all platforms)``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from omniwheel.platform.target import Target, format_python


def describe_targets(targets: Sequence[Target], among: Collection[Target] = ()) -> str:
    """Targets grouped by platform; when ``among`` (the lock's targets) is given and the
    targets are exactly some Python versions of every platform, say just that."""
    ordered = sorted(targets, key=Target.sort_key)
    pythons: dict[str, list[str]] = {}
    for target in ordered:
        pythons.setdefault(target.platform_name, []).append(format_python(target.python))
    all_platforms = {t.platform_name for t in among}
    versions = {tuple(v) for v in pythons.values()}
    if among and set(pythons) == all_platforms and len(all_platforms) > 1 and len(versions) == 1:
        return f"Python {', '.join(next(iter(versions)))} (all platforms)"
    return "; ".join(f"{platform} @{','.join(v)}" for platform, v in pythons.items())

"""The selection proof for an Artifacts.toml: Julia picks, for every target, what pip would install.

For each target of a ``pylock.toml``, what a standard installer picks there (``Pylock.select``
with the target's markers and tags) is the expectation, each wheel's tree hash computed from
the wheel file itself.  Julia's side is :func:`~omniwheel.julia.artifacts_toml.select_entries`
on the file as Julia reads it, with the host augmented with the target's Python: it must give
exactly those trees, and each needed per-platform artifact must have exactly one matching entry
(Julia would otherwise rank several), and none for the packages the target does not need.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from packaging.markers import Environment
from packaging.pylock import PackageWheel, Pylock

from omniwheel.julia.artifacts_toml import (
    ArtifactsDoc,
    artifact_name,
    is_omniwheel_name,
    parse_artifacts,
    select_entries,
)
from omniwheel.julia.selection import augmented_host, platforms_match
from omniwheel.julia.tree import git_tree_sha1_of_wheel
from omniwheel.platform.target import Target, target_from_name

WheelPath = Callable[[PackageWheel], Path]
"""Where the bytes of a locked wheel are (the test's wheel directory, or the store)."""


def lock_targets(lock_text: str) -> list[Target]:
    data = tomllib.loads(lock_text)
    return [target_from_name(name) for name in data["tool"]["omniwheel"]["targets"]]


def expected_trees(
    lock_text: str,
    target: Target,
    wheel_path: WheelPath,
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> dict[str, str]:
    """Artifact name → tree hash of what a standard installer installs on ``target``: the
    lock's default groups (the project's dependencies) with these extras and groups."""
    pylock = Pylock.from_dict(tomllib.loads(lock_text))
    environment = cast(Environment, target.marker_environment())
    chosen = pylock.select(
        environment=environment,
        tags=target.tags,
        extras=extras,
        dependency_groups=(*(pylock.default_groups or ()), *groups),
    )
    return {
        artifact_name(package.name): git_tree_sha1_of_wheel(
            wheel_path(cast(PackageWheel, wheel)), filename=cast(PackageWheel, wheel).filename
        )
        for package, wheel in chosen
    }


def ours(artifacts_text: str) -> ArtifactsDoc:
    doc = parse_artifacts(artifacts_text)
    return ArtifactsDoc(
        artifacts={name: a for name, a in doc.artifacts.items() if is_omniwheel_name(name)}
    )


def check_selection(
    artifacts_text: str,
    lock_text: str,
    wheel_path: WheelPath,
    *,
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> int:
    """Assert the proof for every target of the lock, for the choice of extras and groups the
    artifacts were written for; the number of targets checked."""
    doc = ours(artifacts_text)
    targets = lock_targets(lock_text)
    for target in targets:
        host = augmented_host(target)
        expected = expected_trees(lock_text, target, wheel_path, extras=extras, groups=groups)
        selected = {name: entry.git_tree_sha1 for name, entry in select_entries(doc, host).items()}
        assert selected == expected, target.name
        for name, artifact in doc.artifacts.items():
            if artifact.platform_free:
                continue
            platforms = [entry.julia_platform() for entry in artifact.entries]
            matching = [p for p in platforms if p is not None and platforms_match(p, host)]
            assert len(matching) == (1 if name in expected else 0), (target.name, name)
    return len(targets)

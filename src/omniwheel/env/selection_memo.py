"""What a lock selected for an interpreter, remembered: a sync into a new environment, from a lock
this machine has synced before, neither parses the lock nor loads ``packaging``.

Selecting is a pure function of the lock's bytes, of the extras and groups asked for (the
request's :attr:`~omniwheel.env.choice.ChoiceRequest.key`), of where the lock is (local wheel
paths are relative to it), of the interpreter's probe facts (its marker values, version, ABI,
libc and macOS versions — everything it reported but its own paths, which differ from one venv to
the next), of whether that interpreter is the one running omniwheel (whose own wheel tags are then
used), and of the code that selects (omniwheel's and packaging's versions, :data:`MEMO_VERSION`).
An entry is keyed by a hash of all of them, so it can only ever stand for the selection it
remembers; nothing needs invalidating.  An entry exists only after a selection succeeded, which
also says that the interpreter satisfies the lock's ``requires-python``.

Entries are small JSON files in ``<cache>/selections-v1/<key>.json``, written atomically.  One
that cannot be read or has another shape is a miss (selection runs and writes it again); a
read-only cache just never remembers.  They are trusted as far as the store beside them is:
both live in the user's cache.  ``omniwheel cache prune`` drops them all (one selection redone
per lock and interpreter is their whole cost).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omniwheel.cachedir import SELECTIONS_DIR
from omniwheel.env.choice import ChoiceRequest
from omniwheel.env.plan import SelectedWheel, Selection
from omniwheel.platform.probe import ProbeFacts
from omniwheel.store.store import WheelSource

MEMO_VERSION = 2
"""Bump when what selection answers for the same inputs changes, or the entries' shape does."""
_PER_VENV_FACTS = frozenset({"executable", "paths"})
"""Probe facts that name the venv, not the interpreter: left out of the key."""


@dataclass(frozen=True, slots=True)
class SelectionMemo:
    """The remembered selections under ``root`` (``<cache>/selections-v1``)."""

    root: Path

    @classmethod
    def in_cache(cls, cache_root: Path) -> SelectionMemo:
        return cls(cache_root / SELECTIONS_DIR)

    def key(
        self,
        *,
        lock_sha256: str,
        lock_path: Path,
        facts: ProbeFacts,
        choice: ChoiceRequest | None = None,
    ) -> str:
        """The hash of everything selecting depends on (see the module docstring)."""
        import packaging  # the package's __init__ only: its version, no parsing machinery

        from omniwheel import __version__

        inputs = {
            "memo": MEMO_VERSION,
            "omniwheel": __version__,
            "packaging": packaging.__version__,
            "lock": lock_sha256,
            "choice": (choice or ChoiceRequest()).key,
            "lock-path": str(lock_path),
            "facts": {k: v for k, v in facts.data.items() if k not in _PER_VENV_FACTS},
            "running": facts.is_running_interpreter(),
        }
        text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, key: str) -> Selection | None:
        """The selection remembered under ``key``; None when there is none (or it is unusable)."""
        try:
            data = json.loads((self.root / f"{key}.json").read_bytes())
            if data["version"] != MEMO_VERSION:
                return None
            return Selection(
                wheels=tuple(_wheel(entry) for entry in data["wheels"]),
                warnings=tuple(_text(warning) for warning in data["warnings"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, selection: Selection) -> None:
        """Remember ``selection`` under ``key``; silently not, where the cache is read-only."""
        from omniwheel._atomic import write_atomic

        data = {
            "version": MEMO_VERSION,
            "wheels": [_entry(wheel) for wheel in selection.wheels],
            "warnings": list(selection.warnings),
        }
        with contextlib.suppress(OSError):
            self.root.mkdir(parents=True, exist_ok=True)
            write_atomic(self.root / f"{key}.json", json.dumps(data, indent=0).encode())


def _entry(wheel: SelectedWheel) -> dict[str, Any]:
    source = wheel.source
    return {
        "name": wheel.name,
        "version": wheel.version,
        "requested": wheel.requested,
        "filename": source.filename,
        "sha256": source.sha256,
        "size": source.size,
        "url": source.url,
        "path": None if source.path is None else str(source.path),
    }


def _wheel(entry: dict[str, Any]) -> SelectedWheel:
    name, version = _text(entry["name"]), _text(entry["version"])
    size, url, path = entry["size"], entry["url"], entry["path"]
    if not isinstance(entry["requested"], bool) or not (size is None or type(size) is int):
        raise TypeError("not a remembered wheel")
    source = WheelSource(
        name=name,
        version=version,
        filename=_text(entry["filename"]),
        sha256=_text(entry["sha256"]),
        size=size,
        url=None if url is None else _text(url),
        path=None if path is None else Path(_text(path)),
    )
    return SelectedWheel(
        name=name,  # type: ignore[arg-type]  # written from a NormalizedName
        version=version,
        requested=entry["requested"],
        source=source,
    )


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value

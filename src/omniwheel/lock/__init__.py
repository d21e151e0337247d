"""The lock: one in-memory model of a matrix resolution, and its PEP 751 ``pylock.toml`` form.

``model`` builds the model (entries, markers, inputs) from a resolution; ``markers`` writes the
markers that select each entry's targets; ``pylock`` renders, verifies and reads the file;
``locker`` is the ``omniwheel lock`` orchestration over project, index, resolver and writer;
``inputs`` decides what a lock is made from without loading any of that.
"""

LOCK_FILENAME = "pylock.toml"
"""The lock's file name, beside ``pyproject.toml`` (PEP 751's unnamed form)."""

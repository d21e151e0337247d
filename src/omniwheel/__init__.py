"""omniwheel: lock Python dependencies once for every platform, install them anywhere.

The package is organised by responsibility (see DESIGN.md): ``platform`` (targets, tags,
marker environments), ``project`` (pyproject.toml), ``index`` (the simple-API client),
``resolve`` (per-target resolution), ``lock`` (pylock.toml) and ``cli``.
"""

__version__ = "0.1.0"

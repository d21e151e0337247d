"""The anchors of a PEP 503 HTML page, for :func:`omniwheel.index.models.parse_html_page`.

Its own module so that ``html.parser`` is imported only when an HTML page is read: indexes
mostly answer in PEP 691 JSON, and a warm lock reads neither.
"""

from __future__ import annotations

import html.parser


class AnchorParser(html.parser.HTMLParser):
    """Collects the attributes of every ``<a>`` tag and the first ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.base_href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))
        elif tag == "base" and self.base_href is None:
            self.base_href = dict(attrs).get("href")

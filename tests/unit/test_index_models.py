"""Index pages and core metadata: PEP 691 JSON, PEP 503 HTML, and METADATA parsing.

Pages are written out here as an index would send them; each test reads one feature of the
wire format through :func:`parse_json_page` or :func:`parse_html_page`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from omniwheel.errors import IndexAccessError
from omniwheel.index.models import (
    DistFile,
    MetadataError,
    PageFormatError,
    ProjectPage,
    parse_core_metadata,
    parse_html_page,
    parse_json_page,
    parse_timestamp,
)

PAGE_URL = "https://mirror.example/simple/foo/"
FOO = canonicalize_name("foo")
SHA = "ab" * 32
OTHER_SHA = "cd" * 32


def json_page(*files: dict[str, Any], name: NormalizedName = FOO) -> ProjectPage:
    document = {"meta": {"api-version": "1.1"}, "name": name, "files": list(files)}
    return parse_json_page(name, json.dumps(document).encode(), PAGE_URL)


def json_file(filename: str = "foo-1.0-py3-none-any.whl", /, **keys: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "filename": filename,
        "url": f"https://files.example/{filename}",
        "hashes": {"sha256": SHA},
    }
    entry.update(keys)
    return entry


def html_page(body: str, name: NormalizedName = FOO) -> ProjectPage:
    document = f"<!DOCTYPE html><html><head><title>x</title></head><body>{body}</body></html>"
    return parse_html_page(name, document.encode(), PAGE_URL)


def only_file(page: ProjectPage) -> DistFile:
    [dist] = page.files
    return dist


# -- PEP 691 JSON -----------------------------------------------------------------------


def test_json_file_carries_every_field() -> None:
    dist = only_file(
        json_page(
            json_file(
                **{
                    "hashes": {"sha256": SHA.upper(), "md5": "0" * 32},
                    "requires-python": ">=3.8",
                    "size": 1234,
                    "upload-time": "2024-05-06T07:08:09.123456Z",
                    "core-metadata": {"sha256": OTHER_SHA},
                }
            )
        )
    )
    assert dist == DistFile(
        filename="foo-1.0-py3-none-any.whl",
        url="https://files.example/foo-1.0-py3-none-any.whl",
        sha256=SHA,
        requires_python=">=3.8",
        yanked=False,
        yanked_reason=None,
        upload_time=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        size=1234,
        metadata_advertised=True,
        metadata_sha256=OTHER_SHA,
    )
    assert dist.is_wheel


@pytest.mark.parametrize(
    ("yanked", "expected"),
    [
        (False, (False, None)),
        (True, (True, None)),
        ("broken on 3.12", (True, "broken on 3.12")),
    ],
)
def test_json_yanked_is_a_bool_or_a_reason(
    yanked: bool | str, expected: tuple[bool, str | None]
) -> None:
    dist = only_file(json_page(json_file(yanked=yanked)))
    assert (dist.yanked, dist.yanked_reason) == expected


def test_json_file_without_yanked_key_is_not_yanked() -> None:
    assert not only_file(json_page(json_file())).yanked


@pytest.mark.parametrize(
    ("keys", "advertised", "sha256"),
    [
        ({"core-metadata": {"sha256": OTHER_SHA}}, True, OTHER_SHA),
        ({"core-metadata": True}, True, None),
        ({"core-metadata": False}, False, None),
        ({}, False, None),
        # PEP 714: the old key still counts when the new one is absent ...
        ({"data-dist-info-metadata": {"sha256": OTHER_SHA}}, True, OTHER_SHA),
        ({"data-dist-info-metadata": True}, True, None),
        # ... and the new one wins when both are there.
        ({"core-metadata": False, "data-dist-info-metadata": True}, False, None),
        (
            {"core-metadata": {"sha256": OTHER_SHA}, "data-dist-info-metadata": True},
            True,
            OTHER_SHA,
        ),
    ],
)
def test_json_core_metadata_key(keys: dict[str, Any], advertised: bool, sha256: str | None) -> None:
    dist = only_file(json_page(json_file(**keys)))
    assert (dist.metadata_advertised, dist.metadata_sha256) == (advertised, sha256)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("../../files/foo-1.0.tar.gz", "https://mirror.example/files/foo-1.0.tar.gz"),
        ("foo-1.0.tar.gz", "https://mirror.example/simple/foo/foo-1.0.tar.gz"),
        ("/packages/foo-1.0.tar.gz", "https://mirror.example/packages/foo-1.0.tar.gz"),
        ("https://cdn.example/f/foo-1.0.tar.gz", "https://cdn.example/f/foo-1.0.tar.gz"),
    ],
)
def test_json_relative_urls_resolve_against_the_page(url: str, expected: str) -> None:
    assert only_file(json_page(json_file("foo-1.0.tar.gz", url=url))).url == expected


def test_json_file_without_sha256_or_optional_keys() -> None:
    entry = {"filename": "foo-1.0.tar.gz", "url": "foo-1.0.tar.gz", "hashes": {"md5": "0" * 32}}
    dist = only_file(json_page(entry))
    assert (dist.sha256, dist.upload_time, dist.size, dist.requires_python) == (
        None,
        None,
        None,
        None,
    )
    assert not dist.is_wheel


@pytest.mark.parametrize(
    "body",
    [
        b"<html>not json</html>",
        b"",
        b"[]",
        b'{"meta": {"api-version": "1.0"}}',
        b'{"files": [1]}',
        b'{"files": [{"url": "x"}]}',
        b'{"files": [{"filename": "f.whl", "url": "f.whl", "hashes": ["sha256"]}]}',
        b'{"files": [{"filename": "f.whl", "url": "f.whl", "upload-time": "yesterday"}]}',
        b'{"files": [{"filename": "f.whl", "url": "f.whl", "size": "big"}]}',
    ],
)
def test_json_garbage_is_a_page_format_error(body: bytes) -> None:
    with pytest.raises(PageFormatError, match=r"`foo` at https://mirror\.example/simple/foo/"):
        parse_json_page(FOO, body, PAGE_URL)


@pytest.mark.parametrize(
    "digest",
    [
        "../../../../tmp/evil",
        "ab" * 31,
        "ab" * 33,
        "zz" * 32,
        "a" * 31 + "/" + "a" * 32,  # one wrong character in the middle
        "a" * 63 + "\u0130",  # lower-cases to two characters
        " " + "a" * 63,
    ],
)
def test_json_malformed_sha256_is_refused(digest: str) -> None:
    # The wheel's hash names its metadata cache entry and ends up in the lock: it must be hex.
    with pytest.raises(PageFormatError, match="sha256"):
        json_page(json_file(hashes={"sha256": digest}))


def test_page_format_error_is_an_index_access_error() -> None:
    assert issubclass(PageFormatError, IndexAccessError)
    assert issubclass(MetadataError, IndexAccessError)


# -- PEP 503 HTML -----------------------------------------------------------------------


def test_html_anchor_with_hash_fragment_and_attributes() -> None:
    dist = only_file(
        html_page(
            f'<a href="https://files.example/foo-1.0-py3-none-any.whl#sha256={SHA.upper()}"'
            ' data-requires-python="&gt;=3.8,&lt;4"'
            f' data-core-metadata="sha256={OTHER_SHA}">foo-1.0-py3-none-any.whl</a><br/>'
        )
    )
    assert dist == DistFile(
        filename="foo-1.0-py3-none-any.whl",
        url="https://files.example/foo-1.0-py3-none-any.whl",
        sha256=SHA,
        requires_python=">=3.8,<4",
        metadata_advertised=True,
        metadata_sha256=OTHER_SHA,
    )


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("", (False, None)),
        ("data-yanked", (True, None)),
        ('data-yanked=""', (True, None)),
        ('data-yanked="bad &amp; broken"', (True, "bad & broken")),
    ],
)
def test_html_yanked_with_and_without_reason(
    attribute: str, expected: tuple[bool, str | None]
) -> None:
    dist = only_file(html_page(f'<a href="foo-1.0.tar.gz" {attribute}>foo-1.0.tar.gz</a>'))
    assert (dist.yanked, dist.yanked_reason) == expected


@pytest.mark.parametrize(
    ("attribute", "advertised", "sha256"),
    [
        (f'data-core-metadata="sha256={OTHER_SHA}"', True, OTHER_SHA),
        ('data-core-metadata="true"', True, None),
        ('data-core-metadata="false"', False, None),
        (f'data-dist-info-metadata="sha256={OTHER_SHA}"', True, OTHER_SHA),
        ("", False, None),
    ],
)
def test_html_core_metadata_attribute(attribute: str, advertised: bool, sha256: str | None) -> None:
    dist = only_file(html_page(f'<a href="foo-1.0-py3-none-any.whl" {attribute}>x</a>'))
    assert (dist.metadata_advertised, dist.metadata_sha256) == (advertised, sha256)


def test_html_hash_fragment_of_another_algorithm_gives_no_sha256() -> None:
    dist = only_file(html_page('<a href="foo-1.0.tar.gz#md5=0123456789abcdef">x</a>'))
    assert (dist.url, dist.sha256) == ("https://mirror.example/simple/foo/foo-1.0.tar.gz", None)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("", "https://mirror.example/simple/foo/foo-1.0.tar.gz"),
        ('<base href="https://cdn.example/pkgs/">', "https://cdn.example/pkgs/foo-1.0.tar.gz"),
        ('<base href="../../files/">', "https://mirror.example/files/foo-1.0.tar.gz"),
    ],
)
def test_html_relative_hrefs_follow_base_href(base: str, expected: str) -> None:
    document = f'<html><head>{base}</head><body><a href="foo-1.0.tar.gz">x</a></body></html>'
    assert only_file(parse_html_page(FOO, document.encode(), PAGE_URL)).url == expected


def test_html_percent_encoded_filename_is_decoded() -> None:
    page = html_page(f'<a href="../../files/foo-1.0%2Blocal-py3-none-any.whl#sha256={SHA}">x</a>')
    dist = only_file(page)
    assert dist.filename == "foo-1.0+local-py3-none-any.whl"
    assert dist.url == "https://mirror.example/files/foo-1.0%2Blocal-py3-none-any.whl"
    assert list(page.wheels_by_version) == [Version("1.0+local")]


def test_html_anchors_without_href_are_skipped() -> None:
    page = html_page('<a name="top">top</a><a href="foo-1.0.tar.gz">foo-1.0.tar.gz</a>')
    assert [dist.filename for dist in page.files] == ["foo-1.0.tar.gz"]


def test_html_page_without_anchors_is_an_empty_project() -> None:
    assert html_page("<p>nothing here</p>").files == ()


def test_html_malformed_sha256_fragment_is_refused() -> None:
    with pytest.raises(PageFormatError, match="sha256"):
        html_page('<a href="foo-1.0.tar.gz#sha256=../../../etc/x">x</a>')


def test_hopeless_html_is_a_page_format_error() -> None:
    with pytest.raises(
        PageFormatError, match=r"`foo` at https://mirror\.example/simple/foo/"
    ) as error:
        parse_html_page(FOO, b"<![bogus[ x ]]>", PAGE_URL)
    assert error.value.hint == "check that --index-url points at a simple-API index (…/simple/)"


# -- grouping ---------------------------------------------------------------------------


def test_wheels_are_grouped_by_version_and_other_projects_ignored() -> None:
    page = json_page(
        json_file("foo-1.0-py3-none-any.whl", **{"requires-python": ">=3.8"}),
        json_file("foo-1.0-cp312-cp312-win_amd64.whl"),
        json_file("Foo-2.0rc1-2-py3-none-any.whl"),
        json_file("foo-1.0.tar.gz"),
        json_file("foo-3.0.zip"),
        json_file("foobar-9.0-py3-none-any.whl"),
        json_file("bar-1.0.tar.gz"),
        json_file("foo-not-a-wheel.whl"),
        json_file("README.txt"),
    )
    assert len(page.files) == 9
    assert set(page.wheels_by_version) == {Version("1.0"), Version("2.0rc1")}
    pure, windows = page.wheels_by_version[Version("1.0")]
    assert pure.tags == frozenset({Tag("py3", "none", "any")})
    assert pure.requires_python == SpecifierSet(">=3.8")
    assert windows.tags == frozenset({Tag("cp312", "cp312", "win_amd64")})
    assert windows.requires_python is None
    [pre] = page.wheels_by_version[Version("2.0rc1")]
    assert (pre.name, pre.build) == ("foo", (2, ""))
    assert page.sdist_versions == frozenset({Version("1.0"), Version("3.0")})


@pytest.mark.parametrize(
    "filename",
    [
        "foo-1.0-py3-none-any.whl",
        "foo-1.0-py2.py3-none-any.whl",
        "foo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "Foo-1.0-2-py3-none-any.whl",
        "foo-1.0-2b-cp312-abi3-win_amd64.whl",
        "foo-1.0.0-py3-none-any.whl",
        # Refused by packaging, for the head or for the tag field:
        "foo-1.0-x2-py3-none-any.whl",
        "foo__bar-1.0-py3-none-any.whl",
        "foo-1.0-3py-none-any.whl",
        "foo-1.0-py3..py2-none-any.whl",
        "foo-1.0-py3-none-.whl",
        "foo-1.0-py3-none-any-extra-field.whl",
        "foo-1.0-any.whl",
    ],
)
def test_wheel_filenames_parse_as_packaging_parses_them(filename: str) -> None:
    """Filenames are parsed a head and a tag field at a time: each wheel must still be what
    ``parse_wheel_filename`` makes of the whole name, and a name it refuses is no wheel."""
    page = json_page(json_file(filename))
    try:
        expected = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        assert all(not page.wheels_by_version[v] for v in page.wheels_by_version)
        return
    [wheel] = page.wheels_by_version[Version("1.0")]
    assert (wheel.name, wheel.version, wheel.build, wheel.tags) == expected
    assert str(wheel.version) == str(expected[1])


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        (
            ("2025-03-01T00:00:00Z", "2025-01-01T10:00:00+02:00"),
            datetime(2025, 1, 1, 8, tzinfo=UTC),
        ),
        ((None, "2025-02-01T00:00:00Z"), datetime(2025, 2, 1, tzinfo=UTC)),
        ((None, None), None),
    ],
)
def test_first_upload_is_the_earliest_dated_file_of_the_version(
    times: tuple[str | None, ...], expected: datetime | None
) -> None:
    tags = ("py3-none-any", "cp312-cp312-win_amd64")
    page = json_page(
        *(
            json_file(f"foo-1.0-{tag}.whl", **({"upload-time": time} if time else {}))
            for tag, time in zip(tags, times, strict=True)
        ),
        json_file("foo-2.0-py3-none-any.whl", **{"upload-time": "2020-01-01T00:00:00Z"}),
    )
    assert page.wheels_by_version.first_upload(Version("1.0")) == expected


@pytest.mark.parametrize("requires_python", ["", "   ", "=>3.8", "~=3", "python3"])
def test_unparsable_requires_python_counts_as_absent(requires_python: str) -> None:
    page = json_page(json_file(**{"requires-python": requires_python}))
    [wheel] = page.wheels_by_version[Version("1.0")]
    assert wheel.requires_python is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05+02:00", datetime(2024, 1, 2, 1, 4, 5, tzinfo=UTC)),
        ("2024-01-02T03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_gives_aware_utc(text: str, expected: datetime) -> None:
    value = parse_timestamp(text)
    assert value == expected
    assert value.tzinfo is UTC


# -- core metadata ----------------------------------------------------------------------

GOOD_METADATA = b"""\
Metadata-Version: 2.1
Name: Foo.Bar
Version: 1.0.post1
Requires-Python: >=3.9
Requires-Dist: requests>=2
Requires-Dist: pywin32; sys_platform == "win32"
Requires-Dist: pytest; extra == "Test_Suite"
Provides-Extra: Test_Suite
Summary: whatever
Unknown-Field: ignored

A long description that is not read.
"""


def test_parse_core_metadata() -> None:
    metadata = parse_core_metadata(GOOD_METADATA, source="foo_bar-1.0.post1-py3-none-any.whl")
    assert (metadata.name, metadata.version) == ("foo-bar", Version("1.0.post1"))
    assert metadata.requires_dist == (
        Requirement("requests>=2"),
        Requirement('pywin32; sys_platform == "win32"'),
        Requirement('pytest; extra == "Test_Suite"'),
    )
    assert metadata.requires_python == SpecifierSet(">=3.9")
    assert metadata.provides_extra == frozenset({"test-suite"})


def test_core_metadata_without_requirements() -> None:
    metadata = parse_core_metadata(b"Metadata-Version: 2.1\nName: a\nVersion: 2\n", source="a")
    assert (metadata.requires_dist, metadata.requires_python) == ((), None)
    assert metadata.provides_extra == frozenset()


BROKEN_METADATA_HINT = (
    "the package's metadata is broken: pin another version of it, or report it to its maintainers"
)


def test_invalid_requires_dist_names_the_file() -> None:
    data = b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: b >=>= 2\n"
    with pytest.raises(MetadataError, match=r"a-1\.0-py3-none-any\.whl.*'b >=>= 2'") as error:
        parse_core_metadata(data, source="a-1.0-py3-none-any.whl")
    assert error.value.hint == BROKEN_METADATA_HINT


def test_requires_dist_lines_are_read_alike_in_every_file_and_refused_in_each() -> None:
    """Lines are parsed once per text: another file with the same line reads it alike, and an
    invalid line is refused in every file that has it, naming that file."""
    good = b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: c[x]>=1; extra == 'y'\n"
    first = parse_core_metadata(good, source="a-1.0-py3-none-any.whl")
    second = parse_core_metadata(good.replace(b"1.0", b"1.1"), source="a-1.1-py3-none-any.whl")
    assert [str(r) for r in first.requires_dist] == [str(r) for r in second.requires_dist]
    assert str(first.requires_dist[0]) == 'c[x]>=1; extra == "y"'
    bad = b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: b >=>= 2\n"
    for source in ("a-1.0-py3-none-any.whl", "a-1.1-py3-none-any.whl"):
        with pytest.raises(MetadataError, match=re.escape(source)):
            parse_core_metadata(bad, source=source)


@pytest.mark.parametrize(
    "data",
    [
        b"Metadata-Version: 2.1\nVersion: 1.0\n",
        b"Metadata-Version: 2.1\nName: a\n",
        b"",
        b"<html>404</html>",
        b"Metadata-Version: 2.1\nName: a\nVersion: not a version\n",
    ],
)
def test_metadata_without_usable_name_or_version_names_the_file(data: bytes) -> None:
    with pytest.raises(MetadataError, match=r"a-1\.0-py3-none-any\.whl") as error:
        parse_core_metadata(data, source="a-1.0-py3-none-any.whl")
    assert error.value.hint == BROKEN_METADATA_HINT

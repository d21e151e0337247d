"""The test index and wheel builder do what the rest of the suite relies on.

Other tests trust these helpers to behave like a real index and real wheels; if they
lied (a wrong RECORD hash, a range off by one), every test built on them would lie too.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from packaging.metadata import Metadata

from tests.support.index_server import IndexServer, MetadataMode
from tests.support.scenario_index import populate_index, populate_index_from_toml
from tests.support.wheelbuilder import build_sdist, build_wheel, sha256_b64

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def wheel(wheel_dir: Path) -> Path:
    return build_wheel(
        wheel_dir,
        "Foo.Bar",
        "1.0",
        requires_dist=["b>=2", 'c; extra == "x"'],
        requires_python=">=3.8",
        provides_extra=["x"],
        entry_points="[console_scripts]\nfoo = foo_bar:main\n",
    )


@pytest.fixture(autouse=True)
def _no_server_bugs(index_server: IndexServer) -> Iterator[None]:
    yield
    assert index_server.handler_errors == []


def _json_page(client: httpx.Client, server: IndexServer, project: str) -> dict[str, Any]:
    response = client.get(f"{server.url}{project}/", headers={"Accept": JSON})
    assert response.status_code == 200
    page: dict[str, Any] = response.json()
    return page


# -- wheel builder ------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_wheels_and_sdists(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "1", "a", "1.0", files={"a/x.py": b"x = 1\n"})
    second = build_wheel(tmp_path / "2", "a", "1.0", files={"a/x.py": b"x = 1\n"})
    assert first.read_bytes() == second.read_bytes()
    assert build_sdist(tmp_path / "1", "a", "1.0").read_bytes() == (
        build_sdist(tmp_path / "2", "a", "1.0").read_bytes()
    )


@pytest.mark.parametrize(
    ("name", "version", "options", "expected"),
    [
        ("Foo.Bar", "1.0", {}, "foo_bar-1.0-py3-none-any.whl"),
        ("a", "1.0-RC1", {}, "a-1.0rc1-py3-none-any.whl"),
        ("a", "1.0", {"build_tag": "2"}, "a-1.0-2-py3-none-any.whl"),
        ("a", "1.0", {"tags": ["py2.py3-none-any"]}, "a-1.0-py2.py3-none-any.whl"),
        (
            "a",
            "1.0",
            {"tags": ["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"]},
            "a-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ),
    ],
)
def test_wheel_filename_is_normalised(
    wheel_dir: Path, name: str, version: str, options: dict[str, Any], expected: str
) -> None:
    assert build_wheel(wheel_dir, name, version, **options).name == expected


def test_tags_that_would_compress_into_extra_tags_are_refused(wheel_dir: Path) -> None:
    with pytest.raises(ValueError, match="separate wheels"):
        build_wheel(wheel_dir, "a", "1.0", tags=("py3-none-any", "cp312-cp312-win_amd64"))


@pytest.mark.parametrize(
    ("tags", "purelib", "tag_lines"),
    [
        (("py3-none-any",), "true", ["py3-none-any"]),
        (("py2.py3-none-any",), "true", ["py2-none-any", "py3-none-any"]),
        (
            ("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",),
            "false",
            ["cp312-cp312-manylinux2014_x86_64", "cp312-cp312-manylinux_2_17_x86_64"],
        ),
        (("cp312-abi3-macosx_11_0_arm64",), "false", ["cp312-abi3-macosx_11_0_arm64"]),
    ],
)
def test_wheel_file_lists_every_expanded_tag(
    wheel_dir: Path, tags: tuple[str, ...], purelib: str, tag_lines: list[str]
) -> None:
    with zipfile.ZipFile(build_wheel(wheel_dir, "a", "1.0", tags=tags)) as archive:
        lines = archive.read("a-1.0.dist-info/WHEEL").decode().splitlines()
    assert "Wheel-Version: 1.0" in lines
    assert f"Root-Is-Purelib: {purelib}" in lines
    assert [line.removeprefix("Tag: ") for line in lines if line.startswith("Tag: ")] == tag_lines


def test_record_lists_every_file_with_its_hash_and_size(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("foo_bar-1.0.dist-info/RECORD").decode())))
        assert {row[0] for row in rows} == set(archive.namelist())
        for path, hash_value, size in rows:
            if path.endswith("/RECORD"):
                assert (hash_value, size) == ("", "")
                continue
            data = archive.read(path)
            assert hash_value == f"sha256={sha256_b64(data)}"
            assert "=" not in hash_value.removeprefix("sha256=")
            assert int(size) == len(data)
        assert "foo_bar-1.0.dist-info/entry_points.txt" in archive.namelist()
        assert archive.read("foo_bar/__init__.py") == b'__version__ = "1.0"\n'


def test_metadata_is_valid_core_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = Metadata.from_email(archive.read("foo_bar-1.0.dist-info/METADATA"))
    assert (metadata.name, str(metadata.version)) == ("Foo.Bar", "1.0")
    assert str(metadata.requires_python) == ">=3.8"
    assert [str(r) for r in metadata.requires_dist or []] == ["b>=2", 'c; extra == "x"']
    assert metadata.provides_extra == ["x"]


def test_extra_entries_are_written_raw(wheel_dir: Path) -> None:
    entries = [("../escape.py", b"boom"), ("a/__init__.py", b"again")]
    with zipfile.ZipFile(build_wheel(wheel_dir, "a", "1.0", extra_entries=entries)) as archive:
        names = archive.namelist()
        record = archive.read("a-1.0.dist-info/RECORD").decode()
    assert names.count("a/__init__.py") == 2
    assert "../escape.py" in names
    assert "escape" not in record


def test_sdist_holds_pkg_info(wheel_dir: Path) -> None:
    sdist = build_sdist(wheel_dir, "Foo.Bar", "1.0")
    assert sdist.name == "foo_bar-1.0.tar.gz"
    with tarfile.open(sdist) as archive:
        member = archive.extractfile("foo_bar-1.0/PKG-INFO")
        assert member is not None
        assert Metadata.from_email(member.read()).name == "Foo.Bar"


# -- pages ----------------------------------------------------------------------------


def test_json_page_describes_each_file(
    index_server: IndexServer, client: httpx.Client, wheel: Path
) -> None:
    index_server.add_file(wheel)
    response = client.get(f"{index_server.url}foo-bar/", headers={"Accept": JSON})
    assert response.headers["content-type"] == JSON
    page = response.json()
    data = wheel.read_bytes()
    assert page["meta"] == {"api-version": "1.1"}
    assert (page["name"], page["versions"]) == ("foo-bar", ["1.0"])
    [entry] = page["files"]
    assert entry["filename"] == wheel.name
    assert entry["url"] == index_server.file_url(wheel.name)
    assert entry["hashes"] == {"sha256": hashlib.sha256(data).hexdigest()}
    assert entry["requires-python"] == ">=3.8"
    assert (entry["yanked"], entry["size"]) == (False, len(data))
    assert entry["upload-time"] == "2024-01-01T00:00:00Z"
    assert client.get(entry["url"]).content == data


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/html"),
        (JSON, JSON),
        ("text/html", "text/html"),
        (f"{JSON}, text/html;q=0.1", JSON),
        (f"{JSON};q=0.2, text/html", "text/html"),
        (f"text/html, {JSON}", "text/html"),
        (f"application/vnd.pypi.simple.v1+html;q=0.5, {JSON};q=0.9", JSON),
        ("application/vnd.pypi.simple.latest+json", JSON),
        (f"{JSON};q=0", "text/html"),
    ],
)
def test_accept_header_picks_json_or_html(
    index_server: IndexServer,
    client: httpx.Client,
    wheel: Path,
    accept: str | None,
    expected: str,
) -> None:
    index_server.add_file(wheel)
    headers = {} if accept is None else {"Accept": accept}
    response = client.get(f"{index_server.url}foo-bar/", headers=headers)
    assert response.headers["content-type"].split(";")[0] == expected
    assert response.headers["vary"] == "Accept"


def test_html_page_carries_pep_503_attributes(
    index_server: IndexServer, client: httpx.Client, wheel: Path
) -> None:
    index_server.add_file(wheel, yanked="broken <build>")
    body = client.get(f"{index_server.url}foo-bar/").text
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert f'href="{index_server.file_url(wheel.name)}#sha256={digest}"' in body
    assert 'data-requires-python="&gt;=3.8"' in body
    assert 'data-yanked="broken &lt;build&gt;"' in body
    assert "data-core-metadata=" in body
    assert "data-dist-info-metadata=" in body
    assert f">{wheel.name}</a>" in body


def test_project_list(index_server: IndexServer, client: httpx.Client, wheel_dir: Path) -> None:
    for name in ("b", "A_x"):
        index_server.add_file(build_wheel(wheel_dir, name, "1.0"))
    page = client.get(index_server.url, headers={"Accept": JSON}).json()
    assert page["projects"] == [{"name": "a-x"}, {"name": "b"}]
    assert 'href="/simple/b/"' in client.get(index_server.url).text


@pytest.mark.parametrize("path", ["Foo_Bar/", "foo.bar/", "FOO-BAR/", "foo-bar"])
def test_unnormalised_names_redirect(
    index_server: IndexServer, client: httpx.Client, wheel: Path, path: str
) -> None:
    index_server.add_file(wheel)
    response = client.get(index_server.url + path)
    assert response.status_code == 301
    assert response.headers["location"] == "/simple/foo-bar/"
    followed = client.get(index_server.url + path, follow_redirects=True)
    assert followed.status_code == 200


def test_unknown_project_is_404(index_server: IndexServer, client: httpx.Client) -> None:
    assert client.get(f"{index_server.url}nothing/").status_code == 404


def test_page_options(index_server: IndexServer, client: httpx.Client, wheel_dir: Path) -> None:
    from datetime import UTC, datetime

    old = build_wheel(wheel_dir, "a", "1.0", requires_python=">=3.6")
    new = build_wheel(wheel_dir, "a", "2.0")
    sdist = build_sdist(wheel_dir, "a", "2.0")
    index_server.add_file(old, upload_time="omit", yanked=True, requires_python=">=3.7")
    index_server.add_file(new, upload_time=datetime(2026, 5, 1, 12, tzinfo=UTC))
    index_server.add_file(sdist, advertised_sha256="0" * 64)
    files = {entry["filename"]: entry for entry in _json_page(client, index_server, "a")["files"]}
    assert "upload-time" not in files[old.name]
    assert (files[old.name]["yanked"], files[old.name]["requires-python"]) == (True, ">=3.7")
    assert files[new.name]["upload-time"] == "2026-05-01T12:00:00Z"
    assert "requires-python" not in files[new.name]
    assert files[sdist.name]["hashes"] == {"sha256": "0" * 64}
    assert "core-metadata" not in files[sdist.name]
    assert 'data-yanked=""' in client.get(f"{index_server.url}a/").text


@pytest.mark.parametrize("mode", ["advertised", "unadvertised", "missing"])
def test_metadata_files(
    index_server: IndexServer, client: httpx.Client, wheel: Path, mode: MetadataMode
) -> None:
    advertised, served = mode == "advertised", mode != "missing"
    index_server.add_file(wheel, metadata=mode)
    [entry] = _json_page(client, index_server, "foo-bar")["files"]
    response = client.get(f"{entry['url']}.metadata")
    assert response.status_code == (200 if served else 404)
    assert ("core-metadata" in entry, "data-dist-info-metadata" in entry) == (advertised,) * 2
    html_page = client.get(f"{index_server.url}foo-bar/").text
    assert ("data-core-metadata" in html_page) == advertised
    if advertised:
        assert entry["core-metadata"] == {"sha256": hashlib.sha256(response.content).hexdigest()}
    if served:
        assert Metadata.from_email(response.content).name == "Foo.Bar"


def test_pages_revalidate_with_etags(
    index_server: IndexServer, client: httpx.Client, wheel: Path
) -> None:
    index_server.add_file(wheel)
    first = client.get(f"{index_server.url}foo-bar/", headers={"Accept": JSON})
    etag = first.headers["etag"]
    again = client.get(
        f"{index_server.url}foo-bar/", headers={"Accept": JSON, "If-None-Match": etag}
    )
    assert (again.status_code, again.content) == (304, b"")
    stale = client.get(index_server.file_url(wheel.name), headers={"If-None-Match": '"x"'})
    assert stale.status_code == 200


# -- files and ranges -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=0-9", lambda size: (0, 9)),
        ("bytes=10-", lambda size: (10, size - 1)),
        ("bytes=-5", lambda size: (size - 5, size - 1)),
        ("bytes=3-1000000", lambda size: (3, size - 1)),
    ],
)
def test_ranges(
    index_server: IndexServer,
    client: httpx.Client,
    wheel: Path,
    header: str,
    span: Callable[[int], tuple[int, int]],
) -> None:
    index_server.add_file(wheel)
    data = wheel.read_bytes()
    first, last = span(len(data))
    expected = data[first : last + 1]
    response = client.get(index_server.file_url(wheel.name), headers={"Range": header})
    assert (response.status_code, response.content) == (206, expected)
    assert response.headers["content-range"] == f"bytes {first}-{last}/{len(data)}"
    assert response.headers["accept-ranges"] == "bytes"
    assert int(response.headers["content-length"]) == len(expected)


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes=-0", "bytes={size}-{end}"])
def test_unsatisfiable_range_is_416(
    index_server: IndexServer, client: httpx.Client, wheel: Path, header: str
) -> None:
    index_server.add_file(wheel)
    size = wheel.stat().st_size
    rendered = header.format(size=size, end=size + 10)
    response = client.get(index_server.file_url(wheel.name), headers={"Range": rendered})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"


def test_head_and_disabled_ranges(
    index_server: IndexServer, client: httpx.Client, wheel: Path
) -> None:
    index_server.add_file(wheel)
    url = index_server.file_url(wheel.name)
    head = client.head(url)
    assert (head.status_code, head.content) == (200, b"")
    assert int(head.headers["content-length"]) == wheel.stat().st_size
    index_server.disable_ranges()
    response = client.get(url, headers={"Range": "bytes=0-9"})
    assert (response.status_code, response.content) == (200, wheel.read_bytes())
    assert "accept-ranges" not in response.headers


# -- faults ---------------------------------------------------------------------------


def test_failure_once_then_success(
    index_server: IndexServer, client: httpx.Client, wheel: Path
) -> None:
    index_server.add_file(wheel)
    index_server.fail("/files/*.whl", status=503, times=1)
    url = index_server.file_url(wheel.name)
    assert [client.get(url).status_code for _ in range(3)] == [503, 200, 200]
    index_server.fail("/simple/*")
    assert client.get(f"{index_server.url}foo-bar/").status_code == 500
    assert client.get(f"{index_server.url}foo-bar/").status_code == 500
    index_server.reset_faults()
    assert client.get(f"{index_server.url}foo-bar/").status_code == 200


def test_truncated_body_is_detected(
    index_server: IndexServer, client: httpx.Client, wheel: Path
) -> None:
    index_server.add_file(wheel)
    index_server.truncate("*.whl", 100)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(index_server.file_url(wheel.name))


def test_garbage_and_delay(index_server: IndexServer, client: httpx.Client, wheel: Path) -> None:
    index_server.add_file(wheel)
    index_server.serve_garbage("/simple/foo-bar/", b"{not json", JSON)
    response = client.get(f"{index_server.url}foo-bar/", headers={"Accept": JSON})
    assert (response.status_code, response.content) == (200, b"{not json")
    with pytest.raises(json.JSONDecodeError):
        response.json()
    index_server.delay("/files/*", 0.2)
    started = time.monotonic()
    assert client.get(index_server.file_url(wheel.name)).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_basic_auth(index_server: IndexServer, client: httpx.Client, wheel: Path) -> None:
    index_server.add_file(wheel)
    index_server.require_auth("user", "s3cret")
    url = f"{index_server.url}foo-bar/"
    denied = client.get(url)
    assert denied.status_code == 401
    assert denied.headers["www-authenticate"].startswith("Basic ")
    assert client.get(url, auth=("user", "wrong")).status_code == 401
    assert client.get(url, auth=("user", "s3cret")).status_code == 200


def test_requests_are_recorded(index_server: IndexServer, client: httpx.Client) -> None:
    client.get(f"{index_server.url}x/?q=1", headers={"Accept": JSON})
    [request] = index_server.requests
    assert (request.method, request.path) == ("GET", "/simple/x/?q=1")
    assert request.headers["accept"] == JSON
    index_server.clear_requests()
    assert index_server.requests == []


def test_connections_are_kept_alive(index_server: IndexServer, wheel: Path) -> None:
    index_server.add_file(wheel)
    host, port = index_server.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        for _ in range(3):  # raises if the server closed the connection in between
            connection.request("GET", f"/files/{wheel.name}")
            assert connection.getresponse().read() == wheel.read_bytes()
    finally:
        connection.close()


# -- scenario index -------------------------------------------------------------------


def test_populate_index(index_server: IndexServer, client: httpx.Client, tmp_path: Path) -> None:
    packages: list[dict[str, Any]] = [
        {"name": "a", "version": "1.0", "requires-dist": ["b>=2"], "sdist": True},
        {
            "name": "b",
            "version": "2.0",
            "wheels": ["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-win_amd64"],
            "requires-python": ">=3.12",
            "yanked": "bad",
            "upload-time": "omit",
            "metadata": "missing",
        },
    ]
    populate_index(index_server, packages, tmp_path)
    a_files = _json_page(client, index_server, "a")["files"]
    assert [entry["filename"] for entry in a_files] == ["a-1.0-py3-none-any.whl", "a-1.0.tar.gz"]
    b_files = _json_page(client, index_server, "b")["files"]
    assert len(b_files) == 2
    assert all(entry["yanked"] == "bad" and "upload-time" not in entry for entry in b_files)
    assert all(entry["requires-python"] == ">=3.12" for entry in b_files)
    assert client.get(f"{b_files[0]['url']}.metadata").status_code == 404


def test_populate_index_reports_every_problem(index_server: IndexServer, tmp_path: Path) -> None:
    packages: list[dict[str, Any]] = [
        {"name": "ok", "version": "1.0"},
        {"name": "bad", "version": "x.y", "wheels": ["nope"], "metadta": "missing"},
        {"name": "ok", "version": "1.0.0"},
    ]
    with pytest.raises(ValueError, match="invalid scenario index") as caught:
        populate_index(index_server, packages, tmp_path)
    message = str(caught.value)
    assert "#2 (bad x.y): unknown key 'metadta'" in message
    assert "#2 (bad x.y): 'version' 'x.y' is not a valid version" in message
    assert "#2 (bad x.y): 'wheels':" in message
    assert "#3 (ok 1.0.0): listed twice" in message
    assert index_server.requests == []
    assert list(tmp_path.iterdir()) == []


def test_populate_index_from_toml(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        '[[index.packages]]\nname = "a"\nversion = "1.0"\nupload-time = 2026-01-01T00:00:00Z\n'
    )
    populate_index_from_toml(index_server, scenario, tmp_path / "files")
    [entry] = _json_page(client, index_server, "a")["files"]
    assert entry["upload-time"] == "2026-01-01T00:00:00Z"

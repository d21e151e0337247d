"""MarkerAnswers: the same answers as ``Marker.evaluate``, each question evaluated once."""

from __future__ import annotations

import pytest
from packaging.markers import Marker

from omniwheel.platform.target import target_from_name
from omniwheel.resolve.marker_answers import MarkerAnswers

LINUX_310 = target_from_name("linux-x86_64@3.10")
WINDOWS_313 = target_from_name("windows-x86_64@3.13")
TEXTS = (
    'python_version < "3.11"',
    'sys_platform == "win32"',
    'extra == "test"',
    'extra == "test" and platform_machine == "x86_64"',
    'python_full_version >= "3.10.4"',
    'os_name == "nt" or python_version >= "3.12"',
)


MORE_TEXTS = (
    'platform_system == "Darwin" and platform_machine == "arm64"',
    'implementation_version >= "3.12.50"',
    'python_full_version < "3.12.5" and sys_platform != "win32"',
    'platform_release >= "5"',
    # A variable's name inside a quoted value: the key only gets finer.
    'extra == "python_version"',
)
MORE_TARGETS = (
    target_from_name("macos-arm64@3.12"),
    target_from_name("macos-x86_64@3.12"),
    target_from_name("linux-aarch64@3.12.6"),
    target_from_name("linux-x86_64-musl@3.11"),
)


@pytest.mark.parametrize("text", TEXTS + MORE_TEXTS)
@pytest.mark.parametrize("extra", ["", "test", "python-version"])
def test_every_answer_is_packaging_s(text: str, extra: str) -> None:
    """One instance asked about every environment, as a lock asks: answers shared between
    environments that agree on the marker's variables must be the ones packaging gives."""
    answers = MarkerAnswers()
    for target in (LINUX_310, WINDOWS_313, *MORE_TARGETS):
        for environment in answers.environments_of(target):
            expected = Marker(text).evaluate({**environment, "extra": extra})
            assert answers.holds(Marker(text), environment, extra) is expected


def _counted_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of each marker packaging evaluates from now on, in order."""
    calls: list[str] = []
    original = Marker.evaluate

    def counting(self: Marker, *args: object, **kwargs: object) -> bool:
        calls.append(str(self))
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Marker, "evaluate", counting)
    return calls


def test_an_answer_serves_every_environment_agreeing_on_the_marker_s_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counted_evaluations(monkeypatch)
    answers = MarkerAnswers()
    environments = answers.all_environments((LINUX_310, WINDOWS_313, *MORE_TARGETS))
    for environment in environments:
        answers.holds(Marker('extra == "test"'), environment, "")
        answers.holds(Marker('sys_platform == "win32"'), environment, "")
        answers.holds(Marker('python_full_version >= "3.12.4"'), environment, "")
    assert calls.count('extra == "test"') == 1
    assert calls.count('sys_platform == "win32"') == 3  # linux, win32, darwin
    full = {(env["python_full_version"]) for env in environments}
    assert calls.count('python_full_version >= "3.12.4"') == len(full)


def test_a_text_is_evaluated_once_per_environment_and_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _counted_evaluations(monkeypatch)
    answers = MarkerAnswers()
    lowest, _ = answers.environments_of(LINUX_310)
    first, second = Marker('python_version < "3.11"'), Marker("python_version<'3.11'")
    assert answers.holds(first, lowest, "")
    assert answers.holds(second, lowest, "")  # the same normalised text: no new evaluation
    assert answers.holds(first, lowest, "")
    assert calls == ['python_version < "3.11"']
    assert answers.holds(first, lowest, "x")  # another extra is another question
    assert len(calls) == 2


def test_environments_are_the_same_objects_each_time() -> None:
    answers = MarkerAnswers()
    assert answers.environments_of(LINUX_310) is answers.environments_of(LINUX_310)
    assert answers.all_environments([LINUX_310, WINDOWS_313]) == [
        *answers.environments_of(LINUX_310),
        *answers.environments_of(WINDOWS_313),
    ]


def test_holds_somewhere() -> None:
    answers = MarkerAnswers()
    both = answers.all_environments([LINUX_310, WINDOWS_313])
    assert answers.holds_somewhere(None, both, [""])
    assert answers.holds_somewhere(Marker('sys_platform == "win32"'), both, [""])
    linux = answers.all_environments([LINUX_310])
    assert not answers.holds_somewhere(Marker('sys_platform == "win32"'), linux, [""])
    assert not answers.holds_somewhere(Marker('extra == "test"'), linux, [""])
    assert answers.holds_somewhere(Marker('extra == "test"'), linux, ["", "test"])


def test_holds_somewhere_is_answered_once_per_text_environments_and_extras(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = MarkerAnswers()
    asked: list[str] = []
    original = MarkerAnswers.holds

    def counting(self: MarkerAnswers, marker: Marker, *args: object) -> bool:
        asked.append(str(marker))
        return original(self, marker, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(MarkerAnswers, "holds", counting)
    linux = answers.all_environments([LINUX_310])
    for _ in range(3):  # a new Marker of the same text each time, as each package's metadata has
        assert not answers.holds_somewhere(Marker('sys_platform == "win32"'), linux, [""])
    assert len(asked) == len(linux)
    both = answers.all_environments([LINUX_310, WINDOWS_313])
    assert answers.holds_somewhere(Marker('sys_platform == "win32"'), both, [""])
    assert not answers.holds_somewhere(Marker('sys_platform == "win32"'), linux, ["", "x"])
    assert len(asked) > len(linux) + 2

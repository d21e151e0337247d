"""Two distributions sharing a PEP 420 namespace package install side by side and both import."""

from __future__ import annotations

from tests.support.sync_space import Workspace
from tests.support.wheelbuilder import build_wheel


def test_namespace_package_parts_from_two_wheels(space: Workspace) -> None:
    wheels = space.root / "namespace-wheels"
    for name, part in (("ns-left", "left"), ("ns-right", "right")):
        space.server.add_file(
            build_wheel(
                wheels,
                name,
                "1.0",
                files={f"acme/{part}/__init__.py": f"WHO = {part!r}\n".encode()},
            )
        )
    space.write(["ns-left", "ns-right"])
    space.lock()
    run = space.cli("sync")
    assert run.exit_code == 0, run.stderr
    assert not (space.site_packages() / "acme" / "__init__.py").exists()
    out = space.python("import acme.left, acme.right; print(acme.left.WHO, acme.right.WHO)")
    assert out == "left right\n"

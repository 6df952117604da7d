"""The nodes' lock and wheels, resolved and downloaded by pip for another platform than this one."""

from __future__ import annotations

import pytest

from airhost.install.wheelhouse import (
    NodePlatform,
    NoWheel,
    download_wheels,
    resolve_lock,
)
from tests.ec2.wheels import native, platform_wheel, source_only


@pytest.fixture
def index(package_index):
    for machine in ("aarch64", "x86_64"):
        platform_wheel(package_index, "fast", "1.0", native("1.0", "3.12", machine))
        platform_wheel(package_index, "fast", "1.1", native("1.1", "3.12", machine))
    platform_wheel(package_index, "fast", "1.2", native("1.2", "3.11", "aarch64"))  # other Python
    platform_wheel(package_index, "pure", "2.0", requires=["fast>=1"])
    return package_index


def test_the_lock_pins_the_wheels_of_the_nodes_architecture_and_python(index):
    arm = resolve_lock(NodePlatform("arm64", "3.12"), ["pure==2.0"], "fast==1.0\n", None)
    intel = resolve_lock(NodePlatform("x86_64", "3.12"), ["pure==2.0"], "fast==1.0\n", None)
    assert [(name, version) for name, version, _ in arm.packages] == [("fast", "1.0"), ("pure", "2.0")]
    assert arm.packages[1] == intel.packages[1]  # the pure wheel is the same file
    assert arm.packages[0][2] != intel.packages[0][2]  # the compiled one is not
    assert arm.digest != intel.digest
    assert "fast==1.0 --hash=sha256:" in arm.text

    newest = resolve_lock(NodePlatform("arm64", "3.12"), ["pure==2.0"], "", None)
    assert ("fast", "1.1") == newest.packages[0][:2]  # not 1.2: it has no wheel for 3.12


def test_the_download_is_exactly_the_locked_files(index, tmp_path):
    lock = resolve_lock(NodePlatform("arm64", "3.12"), ["pure==2.0"], "fast==1.0\n", None)
    wheels = download_wheels(lock, tmp_path / "wheels")
    assert [wheel.name for wheel in wheels] == [
        "fast-1.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        "pure-2.0-py3-none-any.whl"]
    assert (tmp_path / "wheels" / "requirements.lock").read_text() == lock.text


def test_a_package_without_a_wheel_for_the_nodes_says_what_to_do(index, tmp_path):
    source_only(index, "slow", "0.5")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("slow==0.5\n")
    with pytest.raises(NoWheel) as raised:
        resolve_lock(NodePlatform("arm64", "3.12"), ["pure==2.0"], "", requirements)
    message = str(raised.value)
    assert "slow==0.5" in message and "Linux arm64, CPython 3.12" in message
    assert "source distribution" in message and "ec2.wheelhouse" in message

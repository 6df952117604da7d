"""The target seam: what each target can do, and the one error for what it cannot."""

from __future__ import annotations

import pytest

from airhost.targets import CAPABILITIES, targets

PROJECT = """\
project: shop
region: eu-west-1
environments:
  local: {target: local}
  prod: {target: ecs}
"""

# (command line, the capability it needs) for commands a local environment cannot run
LOCAL_CANNOT = [
    (["plan", "local"], "plan"), (["deploy", "local", "--yes"], "deploy"),
    (["destroy", "local", "--yes"], "destroy"), (["render", "local"], "render"),
    (["diagram", "local"], "diagram"), (["cost", "local"], "cost"),
    (["scale", "local", "worker=2"], "scale"), (["upgrade", "local", "--yes"], "upgrade"),
    (["image", "build", "local"], "image"),
]


@pytest.mark.parametrize("args,capability", LOCAL_CANNOT, ids=[c for _, c in LOCAL_CANNOT])
def test_a_command_the_target_cannot_do_is_one_clear_error(run_cli, write_project, args,
                                                            capability):
    root = write_project(PROJECT)
    result = run_cli(*args, "--config", str(root))
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    command = CAPABILITIES[capability]
    assert f"'airhost {command}' does not apply to environment 'local': it has target local" \
        in result.stderr
    assert " — " in result.stderr  # and says what to do instead


def test_up_on_a_cloud_environment_says_how_to_deploy_it(run_cli, write_project):
    root = write_project(PROJECT)
    result = run_cli("up", "prod", "--config", str(root))
    assert result.exit_code == 2
    assert "'airhost up/down' does not apply to environment 'prod'" in result.stderr
    assert "airhost deploy" in result.stderr


def test_every_capability_is_a_known_command_and_every_target_renders_if_it_deploys():
    for target in targets().values():
        assert target.capabilities <= set(CAPABILITIES), target.name
        assert "deploy" not in target.capabilities or target.render is not None, target.name
        assert "cost" not in target.capabilities or target.estimate is not None, target.name
        for capability in set(CAPABILITIES) - target.capabilities:
            assert capability in target.instead, (target.name, capability)

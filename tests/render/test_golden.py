"""Every example renders to the checked-in templates (regenerate: python3 -m tests.golden.update)."""

from __future__ import annotations

import json

from tests.golden.update import ECS_EXAMPLES, GOLDEN, golden_files

REGENERATE = "if the change is intended, run 'python3 -m tests.golden.update' and review the diff"


def _differences(expected, actual, path="", found=None):
    found = [] if found is None else found
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            if key not in actual:
                found.append(f"{path}/{key}: missing")
            elif key not in expected:
                found.append(f"{path}/{key}: unexpected")
            else:
                _differences(expected[key], actual[key], f"{path}/{key}", found)
    elif expected != actual:
        found.append(f"{path}: {json.dumps(expected)[:120]} → {json.dumps(actual)[:120]}")
    return found


def test_each_example_matches_its_golden_templates(examples):
    problems = []
    for key, stacks in examples.items():
        for name, content in golden_files(stacks).items():
            path = GOLDEN / key / name
            if not path.exists():
                problems.append(f"{key}/{name}: no golden file")
                continue
            expected = json.loads(path.read_text(encoding="utf-8"))
            problems += [f"{key}/{name}{diff}" for diff in _differences(expected, content)[:10]]
    assert not problems, REGENERATE + "\n" + "\n".join(problems[:40])


def test_no_golden_file_is_left_from_a_removed_environment_or_stack(examples):
    expected = {f"{key}/{name}" for key, stacks in examples.items() for name in golden_files(stacks)}
    on_disk = {str(path.relative_to(GOLDEN)) for example in ECS_EXAMPLES
               for path in (GOLDEN / example).glob("*/*.json")}
    assert on_disk == expected, REGENERATE


def test_examples_cover_every_capacity_topology_and_access(environments):
    seen = {(env.ecs.capacity, env.ecs.topology, env.access.mode) for env, _ in environments.values()}
    assert {capacity for capacity, _, _ in seen} == {"fargate", "managed-instances"}
    assert {topology for _, topology, _ in seen} == {"standalone", "split"}
    assert {access for _, _, access in seen} == {"private", "alb", "tailscale"}
    assert len(environments) >= 6
    kinds = [env for env, _ in environments.values()]
    assert any(env.network.egress == "endpoints" for env in kinds)
    assert any(env.network.vpc_id for env in kinds)

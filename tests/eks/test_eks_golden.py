"""Every EKS example renders to its checked-in templates and values, compared as parsed data
(regenerate: python3 -m tests.golden.update)."""

from __future__ import annotations

import json

from tests.golden.update import EKS_EXAMPLES, GOLDEN, eks_golden_files
from tests.render.test_golden import REGENERATE, _differences


def test_each_eks_example_matches_its_golden_files():
    problems = []
    for key, files in eks_golden_files().items():
        for name, content in files.items():
            path = GOLDEN / key / name
            if not path.exists():
                problems.append(f"{key}/{name}: no golden file")
                continue
            expected = json.loads(path.read_text(encoding="utf-8"))
            problems += [f"{key}/{name}{diff}" for diff in _differences(expected, content)[:10]]
    assert not problems, REGENERATE + "\n" + "\n".join(problems[:40])


def test_no_eks_golden_file_is_left_over():
    expected = {f"{key}/{name}" for key, files in eks_golden_files().items() for name in files}
    on_disk = {str(path.relative_to(GOLDEN)) for example in EKS_EXAMPLES
               for path in (GOLDEN / example).glob("*/*.json")}
    assert on_disk == expected, REGENERATE

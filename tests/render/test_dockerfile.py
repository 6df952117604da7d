"""The project image's Dockerfile: golden files for the examples, and what goes in when."""

from __future__ import annotations

import pytest

from airhost.config.loader import validate_project
from airhost.render.dockerfile import image_inputs, render_dockerfile
from tests.golden.update import GOLDEN, example_environments, golden_dockerfile

EXAMPLES = example_environments(targets=("ecs",))


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_dockerfile_matches_its_golden_file(key):
    env, config_hash = EXAMPLES[key]
    expected = (GOLDEN / key / "Dockerfile").read_text()
    assert golden_dockerfile(env, config_hash) == expected, (
        f"the Dockerfile of {key} changed: review, then run python3 -m tests.golden.update")


def env_of(data):
    project = validate_project({"project": "shop", "environments": {"prod": {
        "target": "ecs", "region": "eu-west-1", **data}}}, {}, root=GOLDEN, source="test")
    return project.environment("prod")


def test_dags_are_baked_in_only_with_source_image():
    bundle = env_of({})
    baked = env_of({"dags": {"source": "image"}})
    inputs = dict(has_requirements=True, has_plugins=True)
    assert "/opt/airflow/dags/" not in render_dockerfile(bundle, image_inputs(bundle, **inputs), "h")
    text = render_dockerfile(baked, image_inputs(baked, **inputs), "h")
    assert "COPY --chown=airflow:0 dags/ /opt/airflow/dags/" in text
    assert "COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/" in text


def test_airflow_stays_pinned_when_requirements_are_installed():
    env = env_of({"airflow": {"version": "3.3.2", "extras": ["slack"]}})
    text = render_dockerfile(env, image_inputs(env, has_requirements=True, has_plugins=False), "h")
    assert text.splitlines()[2] == "FROM apache/airflow:3.3.2-python3.12"
    assert '"apache-airflow[slack]==3.3.2", "--requirement", "/tmp/requirements.txt"' in text
    bare = env_of({})
    assert "RUN" not in render_dockerfile(bare, image_inputs(bare, has_requirements=False,
                                                              has_plugins=False), "h")


def test_a_celery_image_gets_the_sqs_transport_and_the_statsd_client_without_any_requirement():
    celery = env_of({"airflow": {"executor": "celery"}, "ecs": {"topology": "split", "image": "ecr"}})
    text = render_dockerfile(celery, image_inputs(celery, has_requirements=False, has_plugins=False), "h")
    install = next(line for line in text.splitlines() if line.startswith("RUN "))
    assert '"apache-airflow==3.3.2", "celery[sqs]", "datadog"' in install
    local = env_of({})
    assert "datadog" not in render_dockerfile(local, image_inputs(local, has_requirements=True,
                                                                  has_plugins=False), "h")


def test_the_install_is_held_to_the_staged_constraints_and_the_official_image_is_left_alone():
    env = env_of({"airflow": {"version": "3.0.6", "extras": ["slack"]}})
    inputs = image_inputs(env, has_requirements=True, has_plugins=False, has_constraints=True)
    lines = render_dockerfile(env, inputs, "h").splitlines()
    assert "COPY --chown=airflow:0 constraints.txt /tmp/constraints.txt" in lines
    install = next(line for line in lines if line.startswith("RUN "))
    assert ('"apache-airflow[slack]==3.0.6", "--constraint", "/tmp/constraints.txt", '
            '"--requirement", "/tmp/requirements.txt"') in install
    bare = env_of({})
    assert "constraints" not in render_dockerfile(bare, image_inputs(
        bare, has_requirements=False, has_plugins=False, has_constraints=False), "h")

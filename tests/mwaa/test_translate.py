"""The pure translation of an MWAA environment: capacity, versions, options, names, safe paths."""

from __future__ import annotations

import pytest
import yaml

from airhost.config import load_project
from airhost.mwaa.importer import UnsafeArchive, safe_relative
from airhost.mwaa.options import translate_options
from airhost.mwaa.requirements import adapt_requirements
from airhost.mwaa.translate import project_name, translate

SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]


def described(**fields) -> dict:
    return {"Name": "Reports_Prod", "AirflowVersion": "3.0.6", "EnvironmentClass": "mw1.small",
            "SourceBucketArn": "arn:aws:s3:::reports-source", "DagS3Path": "dags",
            "NetworkConfiguration": {"SubnetIds": SUBNETS}, **fields}


def validated(tmp_path, translation):
    (tmp_path / "airhost.yaml").write_text(yaml.safe_dump(translation.project, sort_keys=False))
    (tmp_path / "requirements.txt").write_text("")  # the importer writes one beside it
    return load_project(tmp_path)


def test_an_airflow_version_celery_on_ecs_can_run_is_kept_as_is(tmp_path):
    translation = translate(described(AirflowVersion="3.2.1"), region="eu-west-1", vpc_id="vpc-0a1b2c3d")
    assert validated(tmp_path, translation).environments["prod"].airflow.version == "3.2.1"
    assert translation.rows[0].status == "mapped"


def test_micro_is_one_worker_of_three_tasks_one_scheduler_one_api_server(tmp_path):
    translation = translate(described(EnvironmentClass="mw1.micro", MaxWorkers=1),
                            region="eu-west-1", vpc_id="vpc-0a1b2c3d")
    prod = validated(tmp_path, translation).environments["prod"]
    assert (prod.workers.min, prod.workers.max, prod.workers.tasks_per_worker) == (1, 1, 3)
    assert (prod.ecs.schedulers, prod.ecs.api_servers) == (1, 1)
    assert (prod.workers.size.cpu, prod.workers.size.memory) == (1024, 3072)
    assert prod.mwaa.environment_class == "mw1.micro"


def test_five_schedulers_become_airhosts_four_and_say_so(tmp_path):
    translation = translate(described(EnvironmentClass="mw1.2xlarge", Schedulers=5, MaxWorkers=25),
                            region="us-east-1", vpc_id="vpc-0a1b2c3d")
    prod = validated(tmp_path, translation).environments["prod"]
    assert prod.ecs.schedulers == 4 and prod.mwaa.schedulers == 5  # cost still compares with 5
    row = next(r for r in translation.rows if r.setting == "Schedulers")
    assert row.status == "changed" and "at most 4" in row.why
    assert (prod.workers.size.cpu, prod.workers.size.memory) == (16384, 49152)


def test_airflow2_names_are_renamed_only_for_airflow2():
    options = {"core.dag_concurrency": "8", "webserver.web_server_port": "8080", "Core.Bad": "x"}
    old = translate_options(options, airflow2=True)
    assert old.shared == {"core": {"max_active_tasks_per_dag": "8"}}
    outcomes = {o.option: o for o in old.outcomes}
    assert outcomes["webserver.web_server_port"].status == "dropped"  # api.port is airhost's
    assert outcomes["Core.Bad"].why == "not an airflow.cfg section.key name"
    assert translate_options({"core.dag_concurrency": "8"}, airflow2=False).shared == {
        "core": {"dag_concurrency": "8"}}


def test_worker_autoscale_sets_the_tasks_per_worker():
    assert translate_options({"celery.worker_autoscale": "32,4"}, airflow2=False).tasks_per_worker == 32
    assert translate_options({"celery.worker_autoscale": "lots"}, airflow2=False).tasks_per_worker is None


def test_project_names_fit_aws_resource_names():
    assert project_name("Reports_Prod") == "reports-prod"
    assert project_name("My-Very-Long-MWAA-Environment-Name-2024") == "my-very-long-mwaa-enviro"
    assert project_name("7z") == "mwaa-z"


def test_requirements_for_another_airflow_are_commented_out():
    text = "-c https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/constraints-3.11.txt\n" \
           "apache-airflow==2.10.3\napache-airflow-providers-slack\n"
    adapted, notes = adapt_requirements(text, "3.3.2")
    assert adapted.splitlines()[2] == "apache-airflow-providers-slack"
    assert [number for number, _, _ in notes] == [1, 2]
    assert adapt_requirements("apache-airflow==3.3.2\n", "3.3.2") == ("apache-airflow==3.3.2\n", [])


@pytest.mark.parametrize("name", ["/etc/passwd", "../x.py", "a/../../x.py", "a\\..\\x.py", "C:/x.py"])
def test_paths_that_leave_their_folder_are_refused(name):
    with pytest.raises(UnsafeArchive):
        safe_relative(name, "plugins.zip")

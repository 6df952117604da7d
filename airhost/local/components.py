"""The local environment's programs: what runs, with which command and rendered environment.

Every Airflow component gets its settings from the shared renderer; secrets become ``*_CMD``
variables that read the generated files (the token signing key, a key file's path), so the
environment files hold no secret.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from airhost.config.models import Environment
from airhost.dags.check import CHECK_SCRIPT, check_environment
from airhost.local.paths import LocalPaths
from airhost.local.secrets import LocalSecrets, write_private
from airhost.local.supervisor import Program
from airhost.render.airflow_env import ALL_COMPONENTS, Component, Site, render_airflow_env

# Start order; the process manager stops them in reverse.
PRIORITY = {"postgres": 100, "redis": 100, "api-server": 300, "scheduler": 400,
            "dag-processor": 400, "triggerer": 400, "worker": 500}
DAG_CHECKER = "dag-check"
AIRFLOW_COMMANDS: dict[Component, list[str]] = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer"],
    "worker": ["celery", "worker"],
}


def airflow_components(env: Environment) -> list[Component]:
    components: list[Component] = ["api-server", "scheduler", "dag-processor", "triggerer"]
    if env.airflow.executor == "celery":
        components.append("worker")
    return components


def dags_folder(env: Environment, paths: LocalPaths) -> Path:
    """What Airflow reads: the published bundle (source bundle), else the project's folder."""
    if env.dags.source == "bundle":
        return paths.bundle
    return (paths.project_root / env.dags.folder).resolve()


def local_site(env: Environment, paths: LocalPaths, secrets: LocalSecrets, ports: dict[str, int],
               cpus: int | None = None) -> Site:
    """Where the local environment's Airflow runs: on this machine, its cores shared by all."""
    cores = float(cpus or os.cpu_count() or 1) / len(airflow_components(env))
    broker = f"redis://127.0.0.1:{ports['redis']}/0" if "redis" in ports else None
    bucket = env.local.bucket_and_prefix
    return Site(
        airflow_home=str(paths.airflow_home),
        dags_folder=str(dags_folder(env, paths)),
        api_url=f"http://127.0.0.1:{ports['api']}",
        api_host="127.0.0.1",
        api_port=ports["api"],
        log_folder=str(paths.task_logs),
        log_server_port=ports.get("logs"),
        trigger_log_server_port=ports.get("trigger_logs"),
        broker_url=broker,
        passwords_file=str(secrets.path("simple_auth_passwords.json")),
        bundle_bucket=bucket[0] if bucket else None,
        bundle_prefix=bucket[1] if bucket else "dags",
        region=env.region,
        plugins_folder=(str((paths.project_root / env.airflow.plugins).resolve())
                        if env.airflow.plugins else None),
        migrated_before_start=True,
        cpus={component: cores for component in ALL_COMPONENTS},
    )


def environment_file(env: Environment, component: Component, site: Site, secrets: LocalSecrets,
                     database_secret: str = "database_url") -> str:
    """The shell-sourced environment of one component: rendered values plus secret commands."""
    rendered = render_airflow_env(env, component, site)
    names = dict(rendered.secrets)
    variables = dict(rendered.values)
    variables.update(secrets.airflow_variables(
        {variable: (database_secret if name == "database_url" else name) for variable, name in names.items()}
    ))
    variables["PYTHONUNBUFFERED"] = "1"
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in sorted(variables.items()))


def write_environment_files(env: Environment, paths: LocalPaths, site: Site,
                            secrets: LocalSecrets) -> dict[Component, Path]:
    files: dict[Component, Path] = {}
    for component in [*airflow_components(env), "utils"]:
        path = paths.env_files / f"{component}.env"
        write_private(path, environment_file(env, component, site, secrets))
        files[component] = path
    return files


def dag_checker(env: Environment, paths: LocalPaths, fingerprint: str) -> Program:
    """The long-lived DAG checker: ``dags push``/``dags check`` ask it instead of importing Airflow
    anew each time. Its environment is the one-off check's, started empty (``env -i``)."""
    folder = (paths.project_root / env.dags.folder).resolve()
    settings = [f"{key}={value}" for key, value in
                sorted(check_environment(str(paths.dag_check_home), folder).items())]
    command = ["/usr/bin/env", "-i", *settings, str(paths.venv / "bin" / "python"), str(CHECK_SCRIPT),
               "serve", str(paths.dag_check_socket), fingerprint]
    return Program(DAG_CHECKER, command, extra={"priority": str(PRIORITY["api-server"])})


def programs(env: Environment, paths: LocalPaths, env_files: dict[Component, Path],
             postgres_command: list[str] | None, postgres_user: str | None,
             redis_command: list[str] | None, fingerprint: str = "") -> list[Program]:
    result: list[Program] = []
    if postgres_command:
        # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to leave.
        result.append(Program("postgres", postgres_command, user=postgres_user, stop_signal="INT",
                              extra={"priority": str(PRIORITY["postgres"])}))
    if redis_command:
        result.append(Program("redis", redis_command, extra={"priority": str(PRIORITY["redis"])}))
    for component in airflow_components(env):
        command = [str(paths.airflow_bin), *AIRFLOW_COMMANDS[component]]
        # A Celery worker finishes running tasks on TERM (warm shutdown): give it time, and signal
        # only its main process, which drains the pool.
        worker = component == "worker"
        result.append(Program(component, command, environment_file=env_files[component],
                              stop_wait_seconds=600 if worker else 30, stop_as_group=not worker,
                              extra={"priority": str(PRIORITY[component])}))
    if env.dags.source == "bundle":
        result.append(dag_checker(env, paths, fingerprint))
    return result

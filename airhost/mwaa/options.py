"""An MWAA environment's Airflow configuration options, translated into ``airflow.config``.

MWAA passes options as ``section.key`` strings. Each becomes one of: kept as is; renamed (an Airflow 2
name that Airflow 3 moved, as Airflow's own ``airflow config lint`` lists it); taken over by an
airhost setting (the Celery worker size becomes ``workers.tasks_per_worker``); kept for the cloud
environment only (the secrets backend, so connections and variables stay where they are); or dropped
with the reason (options only MWAA's own machinery needs, settings airhost owns, options Airflow 3
removed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from airhost.config.base import RESERVED_AIRFLOW_SETTINGS

# Airflow 2 names Airflow 3 moved (Airflow's config lint rules, the options MWAA users set).
RENAMED_IN_AIRFLOW_3 = {
    ("admin", "hide_sensitive_variable_fields"): ("core", "hide_sensitive_var_conn_fields"),
    ("admin", "sensitive_variable_fields"): ("core", "sensitive_var_conn_names"),
    ("core", "dag_concurrency"): ("core", "max_active_tasks_per_dag"),
    ("core", "non_pooled_task_slot_count"): ("core", "default_pool_task_slot_count"),
    ("core", "sql_alchemy_conn"): ("database", "sql_alchemy_conn"),
    ("core", "load_default_connections"): ("database", "load_default_connections"),
    ("core", "max_db_retries"): ("database", "max_db_retries"),
    ("core", "dag_file_processor_timeout"): ("dag_processor", "dag_file_processor_timeout"),
    ("core", "worker_precheck"): ("celery", "worker_precheck"),
    ("core", "dataset_manager_class"): ("core", "asset_manager_class"),
    ("core", "dataset_manager_kwargs"): ("core", "asset_manager_kwargs"),
    ("scheduler", "dag_dir_list_interval"): ("dag_processor", "refresh_interval"),
    ("scheduler", "parsing_processes"): ("dag_processor", "parsing_processes"),
    ("scheduler", "max_threads"): ("dag_processor", "parsing_processes"),
    ("scheduler", "file_parsing_sort_mode"): ("dag_processor", "file_parsing_sort_mode"),
    ("scheduler", "max_callbacks_per_loop"): ("dag_processor", "max_callbacks_per_loop"),
    ("scheduler", "min_file_process_interval"): ("dag_processor", "min_file_process_interval"),
    ("scheduler", "stale_dag_threshold"): ("dag_processor", "stale_dag_threshold"),
    ("scheduler", "print_stats_interval"): ("dag_processor", "print_stats_interval"),
    ("scheduler", "processor_poll_interval"): ("scheduler", "scheduler_idle_sleep_time"),
    ("scheduler", "deactivate_stale_dags_interval"): ("scheduler", "parsing_cleanup_interval"),
    ("scheduler", "local_task_job_heartbeat_sec"): ("scheduler", "task_instance_heartbeat_sec"),
    ("scheduler", "scheduler_zombie_task_threshold"): ("scheduler", "task_instance_heartbeat_timeout"),
    ("scheduler", "zombie_detection_interval"): (
        "scheduler", "task_instance_heartbeat_timeout_detection_interval"),
    ("scheduler", "child_process_log_directory"): (
        "logging", "dag_processor_child_process_log_directory"),
    ("celery", "stalled_task_timeout"): ("scheduler", "task_queued_timeout"),
    ("celery", "task_adoption_timeout"): ("scheduler", "task_queued_timeout"),
    ("celery", "default_queue"): ("operators", "default_queue"),
    ("triggerer", "default_capacity"): ("triggerer", "capacity"),
    ("webserver", "instance_name"): ("api", "instance_name"),
    ("webserver", "expose_config"): ("api", "expose_config"),
    ("webserver", "workers"): ("api", "workers"),
    ("webserver", "web_server_worker_timeout"): ("api", "worker_timeout"),
    ("webserver", "page_size"): ("api", "page_size"),
    ("webserver", "default_wrap"): ("api", "default_wrap"),
    ("webserver", "hide_paused_dags_by_default"): ("api", "hide_paused_dags_by_default"),
    ("webserver", "log_fetch_timeout_sec"): ("api", "log_fetch_timeout_sec"),
    ("webserver", "auto_refresh_interval"): ("api", "auto_refresh_interval"),
    ("webserver", "require_confirmation_dag_change"): ("api", "require_confirmation_dag_change"),
    ("webserver", "base_url"): ("api", "base_url"),
    ("webserver", "secret_key"): ("api", "secret_key"),
    ("webserver", "web_server_host"): ("api", "host"),
    ("webserver", "web_server_port"): ("api", "port"),
    ("webserver", "session_lifetime_minutes"): ("fab", "session_lifetime_minutes"),
    ("webserver", "navbar_color"): ("fab", "navbar_color"),
}

# Removed in Airflow 3 with nothing to rename to (Airflow's config lint rules).
REMOVED_IN_AIRFLOW_3 = {
    ("core", "check_slas"): "SLAs are removed in Airflow 3",
    ("core", "task_runner"): "Airflow 3 runs tasks through the Task SDK",
    ("core", "enable_xcom_pickling"): "Airflow 3 no longer pickles XComs",
    ("core", "dag_default_view"): "the Airflow 3 UI has no per-DAG default view",
    ("core", "dag_orientation"): "the Airflow 3 UI has no such setting",
    ("scheduler", "dependency_detector"): "removed in Airflow 3",
    ("scheduler", "allow_trigger_in_future"): "removed in Airflow 3",
    ("webserver", "default_ui_timezone"): "the Airflow 3 UI sets its time zone per user",
    ("webserver", "x_frame_enabled"): "removed in Airflow 3",
    ("webserver", "worker_refresh_interval"): "the Airflow 3 API server has no such workers",
    ("webserver", "worker_refresh_batch_size"): "the Airflow 3 API server has no such workers",
    ("webserver", "reload_on_plugin_change"): "removed in Airflow 3",
    ("logging", "dag_processor_manager_log_location"): "removed in Airflow 3",
    ("smtp", "smtp_user"): "use the smtp_default connection (kept in your secrets backend)",
    ("smtp", "smtp_password"): "use the smtp_default connection (kept in your secrets backend)",
}

_AIRHOST_LOGS = "airhost sends component logs to CloudWatch and task logs to its S3 bucket itself"
_AIRHOST_METRICS = ("airhost wires StatsD to the CloudWatch agent for the queue gauges workers scale on; "
                    "MWAA's metrics went to its own CloudWatch namespace")

# Options that only make sense inside MWAA, or that airhost sets for every environment itself.
OWNED_ELSEWHERE = {
    ("api", "base_url"): "airhost sets the API server's URL",
    ("api", "host"): "airhost sets the API server's address",
    ("api", "port"): "airhost sets the API server's port",
    ("core", "plugins_folder"): "set airflow.plugins instead",
    ("logging", "remote_logging"): _AIRHOST_LOGS,
    ("logging", "remote_base_log_folder"): _AIRHOST_LOGS,
    ("logging", "remote_log_conn_id"): _AIRHOST_LOGS,
    ("logging", "logging_config_class"): _AIRHOST_LOGS,
    ("logging", "encrypt_s3_logs"): _AIRHOST_LOGS,
    ("metrics", "statsd_on"): _AIRHOST_METRICS,
    ("metrics", "statsd_host"): _AIRHOST_METRICS,
    ("metrics", "statsd_port"): _AIRHOST_METRICS,
    ("metrics", "statsd_prefix"): _AIRHOST_METRICS,
    ("metrics", "statsd_datadog_enabled"): _AIRHOST_METRICS,
    ("metrics", "metrics_allow_list"): _AIRHOST_METRICS,
    ("metrics", "metrics_block_list"): _AIRHOST_METRICS,
    ("metrics", "statsd_allow_list"): _AIRHOST_METRICS,
    ("metrics", "statsd_block_list"): _AIRHOST_METRICS,
    ("celery", "worker_concurrency"): "became workers.tasks_per_worker",
    ("celery", "worker_autoscale"): "became workers.tasks_per_worker",
}

SECRETS_OPTIONS = {("secrets", "backend"), ("secrets", "backend_kwargs")}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class OptionOutcome:
    """What became of one configuration option."""

    option: str
    value: str
    became: str | None  # section.key in airflow.config, or None when dropped
    status: str  # kept | renamed | cloud-only | dropped
    why: str = ""


@dataclass
class TranslatedOptions:
    shared: dict[str, dict[str, str]] = field(default_factory=dict)
    cloud_only: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: list[OptionOutcome] = field(default_factory=list)
    tasks_per_worker: int | None = None


def worker_autoscale_maximum(value: str) -> int | None:
    """The most tasks a worker runs, from Celery's ``max,min`` autoscale setting."""
    match = re.match(r"^\s*(\d+)\s*(,\s*\d+\s*)?$", value)
    return int(match.group(1)) if match else None


def translate_options(options: dict[str, str], *, airflow2: bool) -> TranslatedOptions:
    result = TranslatedOptions()
    for option in sorted(options):
        value = str(options[option])
        section, _, key = option.partition(".")
        if not _NAME.match(section) or not _NAME.match(key):
            result.outcomes.append(OptionOutcome(option, value, None, "dropped",
                                                 "not an airflow.cfg section.key name"))
            continue
        name, status, why = (section, key), "kept", ""
        if airflow2 and name in REMOVED_IN_AIRFLOW_3:
            result.outcomes.append(OptionOutcome(option, value, None, "dropped", REMOVED_IN_AIRFLOW_3[name]))
            continue
        if airflow2 and name in RENAMED_IN_AIRFLOW_3:
            name, status = RENAMED_IN_AIRFLOW_3[name], "renamed"
            why = f"Airflow 3 calls it {name[0]}.{name[1]}"
        if name == ("celery", "worker_autoscale") or name == ("celery", "worker_concurrency"):
            tasks = (worker_autoscale_maximum(value) if name[1] == "worker_autoscale"
                     else int(value) if value.strip().isdigit() else None)
            if tasks:
                result.tasks_per_worker = max(tasks, result.tasks_per_worker or 0)
                result.outcomes.append(OptionOutcome(option, value, "workers.tasks_per_worker", "mapped",
                                                     f"each worker runs up to {tasks} tasks"))
                continue
        reason = OWNED_ELSEWHERE.get(name) or RESERVED_AIRFLOW_SETTINGS.get(name)
        if reason:
            result.outcomes.append(OptionOutcome(option, value, None, "dropped", reason))
            continue
        target = result.cloud_only if name in SECRETS_OPTIONS else result.shared
        if name in SECRETS_OPTIONS:
            status = "cloud-only"
            why = ("kept for the ECS environment so connections and variables stay where they are; "
                   "the local environment keeps airhost's own")
        target.setdefault(name[0], {})[name[1]] = value
        result.outcomes.append(OptionOutcome(option, value, f"{name[0]}.{name[1]}", status, why))
    return result

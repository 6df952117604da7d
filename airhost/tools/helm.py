"""Helm, in process: the seam between airhost and the real Helm engine.

airhost renders the official Airflow chart with Helm's own Go library (the ``helm-python-sdk``
package ships it compiled; no ``helm`` binary, no cluster), so what it checks is what
``helm template`` and ``helm install`` produce: the chart's ``values.schema.json`` enforced by
Helm, then every template rendered. ``local_chart()`` is the chart folder named by
``AIRHOST_HELM_CHART`` (an unpacked ``apache-airflow/airflow`` release), when one is set.

The same library installs, upgrades and uninstalls releases on a cluster (``install_or_upgrade``,
``uninstall``): Helm's own actions, release history kept in the namespace as Helm keeps it.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from airhost.errors import AirhostError

CHART_SETTING = "AIRHOST_HELM_CHART"


class HelmError(AirhostError):
    """Helm is missing, the chart cannot be loaded, or its templates refuse the values."""

    exit_code = 3


def local_chart() -> Path | None:
    """The chart folder ``AIRHOST_HELM_CHART`` names, or None when it is not set."""
    value = os.environ.get(CHART_SETTING)
    return Path(value).expanduser() if value else None


def _library() -> Any:
    try:
        from helm_python.chart import Chart
    except ImportError:
        raise HelmError("Helm is not available: the helm-python-sdk package is not installed",
                        hint="pip install 'airhost[eks]' (or pip install helm-python-sdk)") from None
    return Chart


def render_chart(chart: Path, values: dict[str, Any], *, release: str, namespace: str,
                 version: str | None = None) -> list[dict[str, Any]]:
    """Every Kubernetes object the chart renders with ``values``, in template order."""
    if not (chart / "Chart.yaml").exists():
        raise HelmError(f"no Helm chart at {chart}: {chart / 'Chart.yaml'} does not exist",
                        hint=f"set {CHART_SETTING} to an unpacked apache-airflow/airflow chart folder")
    Chart = _library()
    try:
        loaded = Chart.load(str(chart))
        if version and loaded.version != version:
            raise HelmError(f"the chart at {chart} is version {loaded.version}, not {version}",
                            hint="point it at the chart version eks.chart_version names, or change "
                                 "eks.chart_version")
        loaded.validate_schema(values)
        rendered = loaded.render(values, name=release, namespace=namespace, is_install=True)
    except HelmError:
        raise
    except Exception as error:  # the library's own errors: the values or a template refused
        raise HelmError(f"Helm could not render {chart}: {error}",
                        hint="the values break the chart's schema or a template") from None
    objects = []
    for name in sorted(rendered):
        if not name.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(rendered[name]):
            if document:
                objects.append(document)
    return objects


# -- releases on a cluster --------------------------------------------------------------------

CHART_REPOSITORY = "https://airflow.apache.org"  # the official chart repository
CHART_NAME = "airflow"
# Helm's waiter that polls each object (Helm 3's behaviour); its result is the same as the
# watching one's: every Deployment, StatefulSet and Service of the release ready.
WAIT = "legacy"
# Upgrades and rollbacks take back the fields others set since (see ``_upgrade``).
FORCE_CONFLICTS = {"server_side_apply": "true", "force_conflicts": True}


@dataclass(frozen=True)
class ClusterAccess:
    """How Helm reaches a cluster: its API server, CA and a bearer token (held in memory only)."""

    endpoint: str
    ca_pem: bytes
    token: str


@dataclass(frozen=True)
class HelmRelease:
    name: str
    namespace: str
    revision: int
    status: str  # deployed, failed, pending-install, superseded, ...
    chart_version: str
    deployed_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "namespace": self.namespace, "revision": self.revision,
                "status": self.status, "chart_version": self.chart_version,
                "deployed_at": self.deployed_at}


class HelmReleaseFailed(HelmError):
    """Installing or upgrading the release failed; Helm rolled it back (or removed a first one)."""


@contextmanager
def _cluster(access: ClusterAccess, namespace: str) -> Iterator[Any]:
    try:
        import helm_python
    except ImportError:
        raise HelmError("Helm is not available: the helm-python-sdk package is not installed",
                        hint="pip install 'airhost[eks]' (or pip install helm-python-sdk)") from None
    with tempfile.TemporaryDirectory(prefix="airhost-helm-") as folder:
        ca_file = Path(folder) / "ca.crt"  # the cluster's public CA; removed with the folder
        ca_file.write_bytes(access.ca_pem)
        config = helm_python.Config(kube_apiserver=access.endpoint, kube_token=access.token,
                                    kube_ca_file=str(ca_file), namespace=namespace)
        try:
            yield config
        finally:
            config.close()


def _release(summary: dict[str, Any]) -> HelmRelease:
    return HelmRelease(name=summary.get("name", ""), namespace=summary.get("namespace", ""),
                       revision=int(summary.get("revision") or 0),
                       status=str(summary.get("status", "")),
                       chart_version=str(summary.get("chart_version", "")),
                       deployed_at=str(summary.get("deployed_at", "")))


def release_status(access: ClusterAccess, release: str, namespace: str) -> HelmRelease | None:
    """The release's latest revision, or None when it is not installed."""
    import helm_python

    with _cluster(access, namespace) as config:
        try:
            return _release(config.status(release))
        except helm_python.HelmNotFoundError:
            return None
        except helm_python.HelmError as error:
            raise HelmError(f"Helm could not read release {release}: {error}") from None


def install_or_upgrade(access: ClusterAccess, values: dict[str, Any], *, release: str,
                       namespace: str, version: str, timeout: int,
                       watch: Callable[[], str | None] | None = None,
                       watch_seconds: float = 5.0) -> HelmRelease:
    """``helm upgrade --install --rollback-on-failure --wait``: the chart at ``version``.

    The chart is the official repository's, or the local chart ``AIRHOST_HELM_CHART`` names
    (which must be that version). A failed upgrade is rolled back by Helm to the revision that
    ran; a failed first install is removed. Either way ``HelmReleaseFailed`` says so.

    While Helm waits, ``watch`` is asked every ``watch_seconds`` whether waiting still makes
    sense; a reason (a component that exits at every start, say) cancels Helm's wait at once,
    the release is rolled back (or removed) all the same, and the reason is the error's.
    """
    import helm_python

    chart = local_chart()
    if chart is not None:
        loaded = helm_python.Chart.load(str(chart))
        if loaded.version != version:
            raise HelmError(f"the chart at {chart} is version {loaded.version}, not {version}",
                            hint="point it at the chart version eks.chart_version names, or "
                                 "change eks.chart_version")
        source: dict[str, Any] = {"chart": loaded}
    else:
        source = {"chart": CHART_NAME, "chart_repo_url": CHART_REPOSITORY, "chart_version": version}
    with _cluster(access, namespace) as config:
        try:
            previous: int | None = int(config.status(release).get("revision") or 0) or None
        except helm_python.HelmNotFoundError:
            previous = None
        action = functools.partial(_upgrade, config) if previous else config.install
        what = ("rolled back to the revision that ran before" if previous else
                "removed (it was the first install)")
        context = helm_python.HelmContext()
        outcome: dict[str, Any] = {}

        def act() -> None:
            try:
                outcome["summary"] = action(
                    values=values, name=release, namespace=namespace, timeout=timeout, wait=WAIT,
                    rollback_on_failure=True, description="airhost deploy", context=context,
                    **source)
            except BaseException as error:  # noqa: BLE001 - handed back to the caller's thread
                outcome["error"] = error

        worker = threading.Thread(target=act, name=f"helm-{release}", daemon=True)
        worker.start()
        reason = _watch_until_done(worker, watch, watch_seconds)
        if reason is not None:
            context.cancel()
            worker.join()
            _settle_cancelled(config, release, namespace, previous, timeout)
            raise HelmReleaseFailed(f"Helm release {release} was stopped and {what}: {reason}",
                                    hint="fix what the log names, then deploy again")
        error = outcome.get("error")
        if isinstance(error, helm_python.HelmError):
            raise HelmReleaseFailed(
                f"Helm release {release} failed and was {what}: {error}",
                hint="'airhost status ENV' and 'airhost logs ENV COMPONENT' show which pods did "
                     "not become ready and why; fix that, then deploy again") from None
        if error is not None:
            raise error
    return _release(outcome["summary"])


def _upgrade(config: Any, *, chart: Any, name: str, values: dict[str, Any],
             context: Any, **options: Any) -> dict[str, Any]:
    """``helm upgrade --server-side=true --force-conflicts``.

    Helm 4 applies a release's objects server-side, and a workload's ``spec.replicas`` set since
    through its ``scale`` subresource (``airhost scale``, a park, an upgrade's hold, the office
    hours' CronJobs) belongs to that client: a plain upgrade fails on the conflict. Forcing
    conflicts gives the field back to Helm, as ``--force-conflicts`` does. helm-python-sdk 0.2
    does not expose that option on ``Config.upgrade``; its native action takes it in the same
    JSON options (the library's ABI), so the action is called with them here.
    """
    from helm_python import _native

    handle, reference = config._chart_args(chart)
    chosen = {"namespace": options.get("namespace"),
              "timeout_seconds": options.get("timeout"), "wait": options.get("wait"),
              "rollback_on_failure": options.get("rollback_on_failure") or None,
              "description": options.get("description"),
              "chart_repo_url": options.get("chart_repo_url"),
              "chart_version": options.get("chart_version"), **FORCE_CONFLICTS}
    payload = _native.call_string(
        "helm_upgrade", config._raw(), config._context_arg(context), handle, reference, name,
        json.dumps(values), json.dumps({k: v for k, v in chosen.items() if v is not None}))
    return dict(json.loads(payload))


def _watch_until_done(worker: threading.Thread, watch: Callable[[], str | None] | None,
                      every: float) -> str | None:
    """Wait for Helm's worker; the first reason ``watch`` gives to stop, or None when it ended."""
    while True:
        worker.join(timeout=every if watch else None)
        if not worker.is_alive() or watch is None:
            return None
        reason = watch()
        if reason is not None:
            return reason


def _settle_cancelled(config: Any, release: str, namespace: str, previous: int | None,
                      timeout: int) -> None:
    """After a cancelled wait: what ``--rollback-on-failure`` does, unless Helm already did it —
    the revision that ran back in place, or a first install removed."""
    import helm_python

    try:
        latest = config.status(release)
    except helm_python.HelmNotFoundError:
        return  # a first install Helm already removed
    if previous is not None and latest.get("status") == "deployed" and \
            int(latest.get("revision") or 0) > previous + 1:
        return  # Helm rolled back: its rollback is a deployed revision after the stopped one
    try:
        if previous is None:
            config.uninstall(release, timeout=timeout, wait=WAIT)
        else:
            _rollback(config, release, revision=previous, timeout=timeout)
    except helm_python.HelmError as error:
        raise HelmError(f"Helm release {release} was stopped, and Helm could not put it back: "
                        f"{error}",
                        hint="'airhost kubeconfig ENV' lets helm history and helm rollback reach "
                             "it") from None


def rollback(access: ClusterAccess, release: str, namespace: str, *, revision: int,
             timeout: int) -> HelmRelease:
    """``helm rollback --wait`` to ``revision``: its chart, values and manifests, as a new revision."""
    import helm_python

    with _cluster(access, namespace) as config:
        try:
            _rollback(config, release, revision=revision, timeout=timeout)
            return _release(config.status(release))
        except helm_python.HelmError as error:
            raise HelmError(f"Helm could not roll release {release} back to revision {revision}: "
                            f"{error}",
                            hint="'airhost status ENV' shows the release; 'airhost kubeconfig ENV' "
                                 "lets helm history and helm rollback reach it") from None


def _rollback(config: Any, release: str, *, revision: int, timeout: int) -> None:
    """``helm rollback --wait --server-side=true --force-conflicts`` (why: ``_upgrade``)."""
    from helm_python import _native

    _native.call_status("helm_rollback", config._raw(), release, json.dumps({
        "version": revision, "timeout_seconds": timeout, "wait": WAIT, **FORCE_CONFLICTS}))


def uninstall(access: ClusterAccess, release: str, namespace: str, *, timeout: int) -> bool:
    """Remove the release and everything it created; False when it was not installed."""
    import helm_python

    with _cluster(access, namespace) as config:
        try:
            config.uninstall(release, timeout=timeout, wait=WAIT)
        except helm_python.HelmNotFoundError:
            return False
        except helm_python.HelmError as error:
            raise HelmError(f"Helm could not uninstall release {release}: {error}") from None
    return True

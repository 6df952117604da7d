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

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

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
                       namespace: str, version: str, timeout: int) -> HelmRelease:
    """``helm upgrade --install --rollback-on-failure --wait``: the chart at ``version``.

    The chart is the official repository's, or the local chart ``AIRHOST_HELM_CHART`` names
    (which must be that version). A failed upgrade is rolled back by Helm to the revision that
    ran; a failed first install is removed. Either way ``HelmReleaseFailed`` says so.
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
            config.status(release)
            installed = True
        except helm_python.HelmNotFoundError:
            installed = False
        action = config.upgrade if installed else config.install
        try:
            summary = action(values=values, name=release, namespace=namespace, timeout=timeout,
                             wait=WAIT, rollback_on_failure=True,
                             description="airhost deploy", **source)
        except helm_python.HelmError as error:
            what = ("rolled back to the revision that ran before" if installed else
                    "removed (it was the first install)")
            raise HelmReleaseFailed(
                f"Helm release {release} failed and was {what}: {error}",
                hint="'airhost status ENV' and 'airhost logs ENV COMPONENT' show which pods did "
                     "not become ready and why; fix that, then deploy again") from None
    return _release(summary)


def rollback(access: ClusterAccess, release: str, namespace: str, *, revision: int,
             timeout: int) -> HelmRelease:
    """``helm rollback --wait`` to ``revision``: its chart, values and manifests, as a new revision."""
    import helm_python

    with _cluster(access, namespace) as config:
        try:
            config.rollback(release, version=revision, timeout=timeout, wait=WAIT)
            return _release(config.status(release))
        except helm_python.HelmError as error:
            raise HelmError(f"Helm could not roll release {release} back to revision {revision}: "
                            f"{error}",
                            hint="'airhost status ENV' shows the release; 'airhost kubeconfig ENV' "
                                 "lets helm history and helm rollback reach it") from None


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

"""Helm, in process: the seam between airhost and the real Helm engine.

airhost renders the official Airflow chart with Helm's own Go library (the ``helm-python-sdk``
package ships it compiled; no ``helm`` binary, no cluster), so what it checks is what
``helm template`` and ``helm install`` produce: the chart's ``values.schema.json`` enforced by
Helm, then every template rendered. ``local_chart()`` is the chart folder named by
``AIRHOST_HELM_CHART`` (an unpacked ``apache-airflow/airflow`` release), when one is set.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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

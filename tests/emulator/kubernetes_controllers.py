"""What the cluster's controllers would do, played at once by the Kubernetes API double.

No container runs: a Job's pod and a bare pod end as their script says (``PodScript``), a
Deployment or StatefulSet is rolled out at once (a ReplicaSet for a Deployment, its pods, its
status), and a node exists while any pod runs (Auto Mode's way).
"""

from __future__ import annotations

import copy
import datetime
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.emulator.kubernetes_api import KubernetesApi


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class PodScript:
    exit_code: int = 0
    lines: list[str] = field(default_factory=list)
    hangs: bool = False  # runs until deleted
    meanwhile: Callable[[], None] | None = None  # what happens in the cluster as the pod runs



def _script_for(api: KubernetesApi, pod_spec: dict[str, Any]) -> PodScript:
    container = (pod_spec.get("containers") or [{}])[0]
    text = " ".join(container.get("command", []) + container.get("args", []))
    return next((s for key, s in api.scripts.items() if key in text), PodScript())


def _finish_pod(api: KubernetesApi, namespace: str, pod: dict[str, Any]) -> PodScript:
    script = _script_for(api, pod.get("spec", {}))
    if script.meanwhile is not None:
        script.meanwhile()
    name = pod["metadata"]["name"]
    container = (pod["spec"].get("containers") or [{}])[0].get("name", "base")
    api.logs[(namespace, name)] = list(script.lines)
    if script.hangs:
        pod["status"] = {"phase": "Running", "containerStatuses": [{
            "name": container, "ready": True, "restartCount": 0, "imageID": "",
            "image": (pod["spec"].get("containers") or [{}])[0].get("image", ""),
            "state": {"running": {"startedAt": _now()}}}]}
        return script
    phase = "Succeeded" if script.exit_code == 0 else "Failed"
    pod["status"] = {"phase": phase, "containerStatuses": [{
        "name": container, "ready": False, "restartCount": 0,
        "image": (pod["spec"].get("containers") or [{}])[0].get("image", ""), "imageID": "",
        "state": {"terminated": {"exitCode": script.exit_code,
                                 "reason": "Completed" if script.exit_code == 0 else "Error",
                                 "startedAt": _now(), "finishedAt": _now()}}}]}
    return script


def react(api: KubernetesApi, group_version: str, plural: str, namespace: str,
           obj: dict[str, Any], *, created: bool) -> None:
    if plural == "pods" and created and not obj["metadata"].get("labels", {}).get("job-name") \
            and not obj.get("status", {}).get("phase"):
        _finish_pod(api, namespace, obj)
    elif plural == "jobs" and created:
        name = obj["metadata"]["name"]
        template = copy.deepcopy(obj["spec"]["template"])
        labels = {**template.get("metadata", {}).get("labels", {}), "job-name": name,
                  "batch.kubernetes.io/job-name": name}
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"{name}-{uuid.uuid4().hex[:5]}", "labels": labels,
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name, "controller": True,
                                                 "uid": obj["metadata"]["uid"]}]},
               "spec": template.get("spec", {})}
        script = _finish_pod(api, namespace, pod)
        api.put("v1", "pods", namespace, pod, new=False)
        if script.hangs:
            obj["status"] = {"startTime": _now(), "active": 1}
            return
        done = "Complete" if script.exit_code == 0 else "Failed"
        obj["status"] = {"startTime": _now(), "conditions": [{"type": done, "status": "True"}],
                         ("succeeded" if script.exit_code == 0 else "failed"): 1}
    elif plural == "services" and obj.get("spec", {}).get("type") != "ExternalName":
        obj["spec"].setdefault("clusterIP", f"10.100.{len(api.objects) % 250}.{api.version % 250 + 1}")
    elif plural in ("deployments", "statefulsets"):
        replicas = obj.get("spec", {}).get("replicas", 1)
        name, generation = obj["metadata"]["name"], obj["metadata"]["generation"]
        if name in api.held and api.held[name] is None and not created:
            api.held[name] = generation
        ready = replicas - (1 if api.held.get(name) == generation and replicas else 0)
        obj["status"] = {"observedGeneration": obj["metadata"]["generation"], "replicas": replicas,
                         "readyReplicas": ready, "updatedReplicas": ready,
                         "availableReplicas": ready, "currentReplicas": ready}
        if plural == "statefulsets":
            obj["status"]["currentRevision"] = obj["status"]["updateRevision"] = "r1"
        else:
            _replica_set(api, namespace, obj, ready)
        set_pods(api, namespace, obj, replicas)


def _replica_set(api: KubernetesApi, namespace: str, deployment: dict[str, Any], ready: int) -> None:
    """The Deployment's current ReplicaSet (the one whose template is its own), as its controller
    keeps it: older ones of the Deployment are removed."""
    template = copy.deepcopy(deployment["spec"].get("template", {}))
    digest = uuid.uuid5(uuid.NAMESPACE_OID, json.dumps(template, sort_keys=True)).hex[:10]
    labels = {**template.get("metadata", {}).get("labels", {}), "pod-template-hash": digest}
    template.setdefault("metadata", {})["labels"] = labels
    owner = {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"],
             "uid": deployment["metadata"]["uid"], "controller": True}
    name = f"{deployment['metadata']['name']}-{digest}"
    for key, other in list(api.objects.items()):
        if key[1] == "replicasets" and key[2] == namespace and key[3] != name and \
                other["metadata"].get("ownerReferences", [{}])[0].get("uid") == owner["uid"]:
            api.objects.pop(key)
    replicas = deployment["spec"].get("replicas", 1)
    api.version += 1
    api.objects[("apps/v1", "replicasets", namespace, name)] = {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": name, "namespace": namespace, "labels": labels,
                     "ownerReferences": [owner], "uid": str(uuid.uuid4()),
                     "resourceVersion": str(api.version), "generation": 1},
        "spec": {"replicas": replicas, "selector": deployment["spec"].get("selector", {}),
                 "template": template},
        "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready,
                   "fullyLabeledReplicas": replicas, "observedGeneration": 1}}


def set_pods(api: KubernetesApi, namespace: str, workload: dict[str, Any], count: int) -> None:
    name = workload["metadata"]["name"]
    prefix = f"{name}-pod-"
    for key in [k for k in api.objects if k[1] == "pods" and k[2] == namespace
                and k[3].startswith(prefix)]:
        api.objects.pop(key)
    existing: list[Any] = []
    labels = workload.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})
    for index in range(len(existing), count):
        pod_name = f"{prefix}{index}"
        running = not (api.held.get(name) == workload["metadata"]["generation"]
                       and index == count - 1)
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": pod_name, "namespace": namespace, "labels": dict(labels),
                            "uid": str(uuid.uuid4()), "creationTimestamp": _now()},
               "spec": copy.deepcopy(workload["spec"]["template"].get("spec", {})),
               "status": {"phase": "Running" if running else "Pending", "containerStatuses": [
                   {"name": c.get("name", ""), "ready": running, "restartCount": 0,
                    "image": c.get("image", ""), "imageID": "",
                    "state": {"running": {"startedAt": _now()}} if running else
                    {"waiting": {"reason": "ContainerCreating"}}}
                   for c in workload["spec"]["template"].get("spec", {}).get("containers", [])]}}
        api.objects[("v1", "pods", namespace, pod_name)] = pod
        api.logs[(namespace, pod_name)] = [f"{name}: {line}" for line in api.component_lines]
        if not running and name in api.crashing:
            lines, exit_code = api.crashing[name]
            pod["status"]["phase"] = "Running"
            for container in pod["status"]["containerStatuses"][:1]:  # Airflow's; not a sidecar
                container.update({"restartCount": 3, "state": {"waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off 40s restarting failed container={container['name']}"}},
                    "lastState": {"terminated": {"exitCode": exit_code, "reason": "Error",
                                                 "startedAt": _now(), "finishedAt": _now()}}})
            api.logs[(namespace, pod_name)] = list(lines)
    _place_nodes(api)


def _place_nodes(api: KubernetesApi) -> None:
    """Auto Mode's way: a node while any component's pod runs, none when nothing does."""
    running = any(k[1] == "pods" and obj.get("status", {}).get("phase") == "Running"
                  for k, obj in api.objects.items())
    key = ("v1", "nodes", "", "node-1")
    if running and key not in api.objects:
        api.objects[key] = {"apiVersion": "v1", "kind": "Node", "metadata": {
            "name": "node-1", "uid": str(uuid.uuid4()), "labels": {}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    elif not running:
        api.objects.pop(key, None)

"""A Kubernetes API server double: the real HTTP shapes, over TLS, with a few controllers played.

It answers what airhost and Helm ask of a cluster, with the API's own paths, verbs, objects and
``Status`` errors: discovery (``/api``, ``/apis``, each group version's resource list, ``/version``),
get/list (equality label selectors)/create/replace/patch (JSON merge, strategic merge taken as JSON
merge, server-side apply)/delete of any listed resource, the ``scale`` and ``status`` subresources,
and a pod's ``log``. The bearer token must be an EKS token (``k8s-aws-v1.`` + a presigned STS
GetCallerIdentity URL that signs ``x-k8s-aws-id``); anything else is ``401 Unauthorized``.

No container ever runs; what the cluster's controllers would do is played at once:

* a Job gets a pod (``job-name`` label) that ends ``Succeeded`` or ``Failed`` by the script whose
  text is in its command (``KubernetesApi.script``), its log lines and exit code from it; the Job's
  status then says ``Complete`` or ``Failed``;
* a bare pod (a one-off ``run``) ends the same way;
* a Deployment or StatefulSet at N replicas is rolled out at once: N running pods with its
  template's labels, status ready/updated/available N (``hold_rollout`` keeps one pending);
* deleting a Job with propagation deletes its pods; deleting a namespace deletes what is in it.
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import ssl
import tempfile
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

from tests.emulator.kubernetes_controllers import PodScript, react, set_pods
from tests.emulator.kubernetes_wire import ApiError, certificate, decode_protobuf

# (group, version) → plural → (kind, namespaced, subresources)
RESOURCES: dict[tuple[str, str], dict[str, tuple[str, bool, tuple[str, ...]]]] = {
    ("", "v1"): {
        "namespaces": ("Namespace", False, ("status",)), "secrets": ("Secret", True, ()),
        "configmaps": ("ConfigMap", True, ()), "serviceaccounts": ("ServiceAccount", True, ()),
        "services": ("Service", True, ("status",)), "pods": ("Pod", True, ("log", "status")),
        "persistentvolumeclaims": ("PersistentVolumeClaim", True, ("status",)),
        "events": ("Event", True, ()), "nodes": ("Node", False, ("status",)),
    },
    ("apps", "v1"): {
        "deployments": ("Deployment", True, ("scale", "status")),
        "statefulsets": ("StatefulSet", True, ("scale", "status")),
        "replicasets": ("ReplicaSet", True, ("scale", "status")),
    },
    ("batch", "v1"): {"jobs": ("Job", True, ("status",)), "cronjobs": ("CronJob", True, ("status",))},
    ("rbac.authorization.k8s.io", "v1"): {
        "roles": ("Role", True, ()), "rolebindings": ("RoleBinding", True, ()),
        "clusterroles": ("ClusterRole", False, ()),
        "clusterrolebindings": ("ClusterRoleBinding", False, ()),
    },
    ("networking.k8s.io", "v1"): {
        "ingresses": ("Ingress", True, ("status",)), "ingressclasses": ("IngressClass", False, ()),
        "networkpolicies": ("NetworkPolicy", True, ()),
    },
    ("policy", "v1"): {"poddisruptionbudgets": ("PodDisruptionBudget", True, ("status",))},
    ("autoscaling", "v2"): {
        "horizontalpodautoscalers": ("HorizontalPodAutoscaler", True, ("status",))},
    ("scheduling.k8s.io", "v1"): {"priorityclasses": ("PriorityClass", False, ())},
    ("eks.amazonaws.com", "v1"): {"ingressclassparams": ("IngressClassParams", False, ())},
}
# An OpenAPI v2 document with no schema (protobuf: swagger "2.0", info {title, version}): clients
# that validate objects against the server's published schemas find none here and skip that
# check, as they do for kinds a server publishes no schema of. Objects are checked against the
# real Kubernetes schemas by the rendering tests (kubernetes-validate --strict).
OPENAPI_V2 = b"\x0a\x032.0\x12\x0e\x0a\x06double\x12\x04v1.0"
OPENAPI_V2_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
SERVER_VERSION = {"major": "1", "minor": "33", "gitVersion": "v1.33.0-eks-double",
                  "platform": "linux/amd64"}


@dataclass
class KubernetesApi:
    """The running double: its URL and CA, what is stored, and what tests script into it."""

    url: str = ""
    ca_pem: bytes = b""
    objects: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    scripts: dict[str, PodScript] = field(default_factory=dict)
    logs: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (namespace, pod) → lines
    requests: list[tuple[str, str]] = field(default_factory=list)  # (verb, path), in order
    log_reads: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (pod, query)
    # workload → the generation whose rollout never completes (None: its next one)
    held: dict[str, int | None] = field(default_factory=dict)
    crashing: dict[str, tuple[list[str], int]] = field(default_factory=dict)  # held ones that crash
    # (plural, namespace, name) → the field manager that last set a workload's spec.replicas, as
    # server-side apply tracks it ("kubectl/scale": through the scale subresource)
    replicas_managers: dict[tuple[str, str, str], str] = field(default_factory=dict)
    component_lines: list[str] = field(default_factory=lambda: ["component started"])
    lock: threading.RLock = field(default_factory=threading.RLock)
    version: int = 0

    def script(self, command: str, *, exit_code: int = 0, lines: list[str] | None = None,
               hangs: bool = False, meanwhile: Callable[[], None] | None = None) -> None:
        """Pods whose command contains ``command`` log ``lines`` and exit with ``exit_code``
        (or, with ``hangs``, keep running until they are deleted); ``meanwhile`` runs as such a
        pod does (under the double's lock: it may read what is stored)."""
        self.scripts[command] = PodScript(exit_code, lines or [], hangs, meanwhile)

    def hold_rollout(self, name: str) -> None:
        """The next change of workload ``name`` never becomes ready (a pod stays pending); the
        change after it (a rollback) rolls out as usual."""
        self.held[name] = None

    def crash_rollout(self, name: str, lines: list[str], exit_code: int = 1) -> None:
        """The next change of workload ``name`` never becomes ready because its new pod's
        container exits at every start: CrashLoopBackOff, restarted, ``lines`` its log."""
        self.held[name] = None
        self.crashing[name] = (lines, exit_code)

    def reset(self) -> None:
        with self.lock:
            self.objects.clear()
            self.scripts.clear()
            self.logs.clear()
            self.requests.clear()
            self.log_reads.clear()
            self.held.clear()
            self.crashing.clear()
            self.replicas_managers.clear()

    def stored(self, plural: str, namespace: str = "") -> dict[str, dict[str, Any]]:
        """Every stored object of a resource in a namespace, by name."""
        return {key[3]: obj for key, obj in self.objects.items()
                if key[1] == plural and key[2] == namespace}

    # -- storage -------------------------------------------------------------------------------

    def put(self, group_version: str, plural: str, namespace: str, obj: dict[str, Any],
            *, new: bool) -> dict[str, Any]:
        with self.lock:
            self.version += 1
            meta = obj.setdefault("metadata", {})
            key = (group_version, plural, namespace, meta["name"])
            old = self.objects.get(key)
            meta.setdefault("uid", (old or {}).get("metadata", {}).get("uid") or str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", (old or {}).get("metadata", {}).get(
                "creationTimestamp") or _now())
            if namespace:
                meta["namespace"] = namespace
            if plural == "secrets" and "stringData" in obj:  # as the API server stores it
                obj["data"] = {**obj.get("data", {}), **{
                    k: base64.b64encode(v.encode()).decode() for k, v in obj.pop("stringData").items()}}
            meta["resourceVersion"] = str(self.version)
            spec_changed = old is None or old.get("spec") != obj.get("spec")
            meta["generation"] = (old or {}).get("metadata", {}).get("generation", 0) + (
                1 if spec_changed else 0)
            self.objects[key] = obj
            react(self, group_version, plural, namespace, obj, created=new)
            return obj

    def delete(self, key: tuple[str, str, str, str]) -> dict[str, Any] | None:
        with self.lock:
            obj = self.objects.pop(key, None)
            if obj is None:
                return None
            group_version, plural, namespace, name = key
            if plural == "jobs":
                for pod_key, pod in list(self.objects.items()):
                    if pod_key[1] == "pods" and pod_key[2] == namespace and \
                            pod["metadata"].get("labels", {}).get("job-name") == name:
                        self.objects.pop(pod_key)
            if plural == "namespaces":
                for other in [k for k in self.objects if k[2] == name]:
                    self.objects.pop(other)
            if plural in ("deployments", "statefulsets"):
                set_pods(self, namespace, obj, 0)
            return obj


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- HTTP -------------------------------------------------------------------------------------------

def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def _merge(base: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (lists replaced, null removes)."""
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge(merged.get(key), value)
    return merged


def _selects(selector: str, labels: dict[str, str]) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def valid_eks_token(header: str) -> bool:
    """What EKS's authenticator checks before replaying the request to STS."""
    if not header.startswith("Bearer k8s-aws-v1."):
        return False
    encoded = header.removeprefix("Bearer k8s-aws-v1.")
    try:
        url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return False
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    signed = query.get("X-Amz-SignedHeaders", [""])[0].split(";")
    return (query.get("Action") == ["GetCallerIdentity"] and "x-k8s-aws-id" in signed
            and "X-Amz-Signature" in query and int(query.get("X-Amz-Expires", ["0"])[0]) <= 900)


class _Handler(BaseHTTPRequestHandler):
    api: KubernetesApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body_bytes(self) -> bytes:
        """The request's body, read once (every request's, so keep-alive stays in step)."""
        if self._raw_body is None:
            length = int(self.headers.get("Content-Length") or 0)
            self._raw_body = self.rfile.read(length) if length else b""
        return self._raw_body

    def _body(self) -> Any:
        raw = self._body_bytes()
        if not raw:
            return {}
        if "protobuf" in (self.headers.get("Content-Type") or ""):
            return decode_protobuf(raw)
        return yaml.safe_load(raw.decode()) if "yaml" in (self.headers.get("Content-Type") or "") \
            else json.loads(raw)

    def _route(self, verb: str) -> None:
        parts = urllib.parse.urlsplit(self.path)
        path, query = parts.path.rstrip("/"), urllib.parse.parse_qs(parts.query)
        self.api.requests.append((verb, path))
        self._raw_body: bytes | None = None
        self._body_bytes()
        if not valid_eks_token(self.headers.get("Authorization", "")):
            return self._send(401, _status(401, "Unauthorized", "Unauthorized"))
        if verb == "GET" and path == "/version":
            return self._send(200, SERVER_VERSION)
        if verb == "GET" and path == "/openapi/v2":
            return self._send(200, OPENAPI_V2, OPENAPI_V2_TYPE)
        discovery = _discovery(path)
        if verb == "GET" and discovery is not None:
            return self._send(200, discovery)
        content_type = self.headers.get("Content-Type") or ""
        if verb in ("POST", "PUT", "PATCH") and not any(
                kind in content_type for kind in ("json", "yaml", "protobuf")):
            # A server that takes no CBOR or protobuf bodies: clients fall back to JSON.
            self._body_bytes()
            return self._send(415, _status(415, "UnsupportedMediaType",
                                           f"the body of the request was in an unknown format: "
                                           f"{content_type}"))
        target = _parse(path)
        if target is None:
            return self._send(404, _status(404, "NotFound", f"the server could not find the "
                                           f"requested resource ({path})"))
        try:
            _serve(self, verb, target, query)
        except ApiError as error:
            self._send(error.code, _status(error.code, error.reason, error.message))

    def do_GET(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._route("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._route("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")


def _discovery(path: str) -> dict[str, Any] | None:
    if path == "/api":
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
    if path == "/apis":
        groups = [{"name": group, "versions": [{"groupVersion": f"{group}/{version}",
                                                "version": version}],
                   "preferredVersion": {"groupVersion": f"{group}/{version}", "version": version}}
                  for group, version in RESOURCES if group]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
    for (group, version), resources in RESOURCES.items():
        prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        if path == prefix:
            listed = []
            for plural, (kind, namespaced, subresources) in resources.items():
                verbs = ["create", "delete", "get", "list", "patch", "update", "watch"]
                listed.append({"name": plural, "singularName": kind.lower(), "namespaced": namespaced,
                               "kind": kind, "verbs": verbs})
                listed += [{"name": f"{plural}/{sub}", "singularName": "", "namespaced": namespaced,
                            "kind": "Scale" if sub == "scale" else kind,
                            "verbs": ["get", "patch", "update"]} for sub in subresources]
            return {"kind": "APIResourceList", "apiVersion": "v1",
                    "groupVersion": f"{group}/{version}" if group else version, "resources": listed}
    return None


@dataclass(frozen=True)
class Target:
    group_version: str
    plural: str
    kind: str
    namespace: str
    name: str
    subresource: str


def _parse(path: str) -> Target | None:
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    resources = RESOURCES.get((group, version))
    if resources is None:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    plural, name, sub = rest[0], rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else ""
    if plural not in resources:
        return None
    kind, namespaced, subresources = resources[plural]
    if (namespaced and not namespace and name) or (sub and sub not in subresources):
        return None
    return Target(f"{group}/{version}" if group else version, plural, kind, namespace, name, sub)


def _serve(handler: _Handler, verb: str, target: Target, query: dict[str, list[str]]) -> None:
    api = handler.api
    key = (target.group_version, target.plural, target.namespace, target.name)
    with api.lock:
        if target.namespace and target.plural != "namespaces" and \
                ("v1", "namespaces", "", target.namespace) not in api.objects and verb in ("POST", "PATCH", "PUT"):
            raise ApiError(404, "NotFound", f'namespaces "{target.namespace}" not found')
        current = api.objects.get(key) if target.name else None
        if verb == "GET" and not target.name:
            selector = query.get("labelSelector", [""])[0]
            items = [copy.deepcopy(obj) for k, obj in sorted(api.objects.items())
                     if k[:2] == key[:2] and (k[2] == target.namespace or not target.namespace)
                     and _selects(selector, obj["metadata"].get("labels", {}))]
            return handler._send(200, {"kind": f"{target.kind}List", "apiVersion": target.group_version,
                                       "metadata": {"resourceVersion": str(api.version)},
                                       "items": items})
        if verb == "POST" and not target.name:
            body = handler._body()
            name = body.get("metadata", {}).get("name")
            if not name and body.get("metadata", {}).get("generateName"):
                name = body["metadata"]["generateName"] + uuid.uuid4().hex[:5]
                body["metadata"]["name"] = name
            if (target.group_version, target.plural, target.namespace, name) in api.objects:
                raise ApiError(409, "AlreadyExists",
                               f'{target.plural} "{name}" already exists')
            body.setdefault("apiVersion", target.group_version)
            body.setdefault("kind", target.kind)
            if query.get("dryRun"):
                return handler._send(201, body)
            return handler._send(201, copy.deepcopy(api.put(target.group_version, target.plural,
                                                            target.namespace, body, new=True)))
        if target.subresource == "log":
            if current is None:
                raise ApiError(404, "NotFound", f'pods "{target.name}" not found')
            api.log_reads.append((target.name, {k: v[0] for k, v in query.items()}))
            lines = api.logs.get((target.namespace, target.name), [])
            tail = query.get("tailLines")
            lines = lines[-int(tail[0]):] if tail else lines
            return handler._send(200, "".join(f"{line}\n" for line in lines).encode(), "text/plain")
        applying = verb == "PATCH" and "apply-patch" in (handler.headers.get("Content-Type") or "")
        if applying and current is None:
            body = handler._body()
            body.setdefault("metadata", {})["name"] = target.name
            _own_replicas(api, target, query, body, None)
            return handler._send(201, copy.deepcopy(api.put(target.group_version, target.plural,
                                                            target.namespace, body, new=True)))
        if current is None:
            raise ApiError(404, "NotFound", f'{target.plural} "{target.name}" not found')
        if verb == "GET":
            return handler._send(200, _scale(current) if target.subresource == "scale"
                                 else copy.deepcopy(current))
        if verb == "DELETE":
            api.delete(key)  # delete options (propagationPolicy) aside: every delete cascades here
            return handler._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                                       "metadata": {}, "details": {"name": target.name}})
        body = handler._body()
        if target.subresource == "scale":
            manager = query.get("fieldManager", [_user_agent_manager(handler)])[0]
            api.replicas_managers[(target.plural, target.namespace, target.name)] = f"{manager}/scale"
            replicas = body.get("spec", {}).get("replicas")
            updated = copy.deepcopy(current)
            if replicas is not None:
                updated["spec"]["replicas"] = int(replicas)
            return handler._send(200, _scale(api.put(target.group_version, target.plural,
                                                     target.namespace, updated, new=False)))
        if applying and not target.subresource:
            _own_replicas(api, target, query, body, current)
        if verb == "PUT":
            updated = body
        else:
            updated = _merge(current, body)
        if target.subresource == "status":
            updated = {**copy.deepcopy(current), "status": updated.get("status", {})}
        updated.setdefault("metadata", {})["name"] = target.name
        updated.setdefault("apiVersion", target.group_version)
        updated.setdefault("kind", target.kind)
        if query.get("dryRun"):
            return handler._send(200, updated)
        return handler._send(200, copy.deepcopy(api.put(target.group_version, target.plural,
                                                        target.namespace, updated, new=False)))


def _user_agent_manager(handler: _Handler) -> str:
    """The field manager the API server names for a request without ``fieldManager``."""
    return (handler.headers.get("User-Agent") or "unknown").split("/")[0]


def _own_replicas(api: KubernetesApi, target: Target, query: dict[str, list[str]],
                  body: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Server-side apply's rule for a workload's ``spec.replicas``: an apply that sets another
    value than the one a different manager last set (``kubectl scale``, the scale subresource)
    is a conflict (409), unless it forces conflicts (``force=true``); an apply takes ownership."""
    if target.plural not in ("deployments", "statefulsets"):
        return
    replicas = body.get("spec", {}).get("replicas")
    if replicas is None:
        return
    manager = query.get("fieldManager", [""])[0]
    key = (target.plural, target.namespace, target.name)
    owner = api.replicas_managers.get(key)
    differs = current is not None and current.get("spec", {}).get("replicas") != replicas
    if owner and owner != manager and differs and query.get("force", [""])[0] != "true":
        who, _, subresource = owner.partition("/")
        raise ApiError(409, "Conflict", (
            f'Apply failed with 1 conflict: conflict with "{who}"'
            + (f' with subresource "{subresource}"' if subresource else "")
            + f" using {target.group_version}: .spec.replicas"))
    api.replicas_managers[key] = manager


def _scale(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": obj["metadata"]["name"],
                         "namespace": obj["metadata"].get("namespace", ""),
                         "resourceVersion": obj["metadata"]["resourceVersion"]},
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0)}}


def start_kubernetes_api() -> tuple[ThreadingHTTPServer, KubernetesApi]:
    """The double on a free 127.0.0.1 port, serving HTTPS with its own CA."""
    api = KubernetesApi()
    handler = type("Handler", (_Handler,), {"api": api})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    cert, key = certificate()
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as files:
        files.write(cert + key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api.url = f"https://127.0.0.1:{server.server_address[1]}"
    api.ca_pem = cert
    return server, api

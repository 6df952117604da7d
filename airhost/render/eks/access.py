"""How people reach Airflow on EKS: ``private``, ``alb`` or ``tailscale``.

- ``private``: the API server's Service is a ClusterIP; reach it from inside the VPC or with
  ``kubectl port-forward``.
- ``alb``: the chart's Ingress with the ingress class ``alb`` of EKS Auto Mode's load balancing
  (``ingress_class`` is that class, applied by the deploy beside the chart): an internet-facing
  ALB in the network stack's public subnets, HTTPS only with the ACM certificate and a TLS 1.3
  policy, and only ``access.allowed_cidrs`` admitted (the network stack's load balancer security
  group, and the ALB's own inbound rule).
- ``tailscale``: a Tailscale sidecar in the API server's pod, in userspace mode (no NET_ADMIN, no
  /dev/net/tun), serving the UI over HTTPS on the tailnet. The sidecar, not the Tailscale
  Kubernetes operator: it needs only the auth key the ECS target already uses, where the operator
  needs an OAuth client, its own cluster-wide controller and CRDs for one Service.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from airhost.config.models import Environment
from airhost.render.access import HEALTH_PATH, TLS_POLICY
from airhost.render.eks.names import RELEASE, TAILSCALE_SECRET
from airhost.render.network import TAILSCALE_BOOT, tailscale_serve

if TYPE_CHECKING:
    from airhost.render.eks.values import EksFacts

INGRESS_CLASS = "alb"
AUTO_MODE_ALB = "eks.amazonaws.com/alb"
TAILSCALE_IMAGE = "tailscale/tailscale:stable"


def ingress_values(env: Environment, facts: EksFacts) -> dict[str, Any]:
    if env.access.mode != "alb":
        return {"apiServer": {"enabled": False}}
    access = env.access
    annotations = {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/certificate-arn": access.certificate_arn or "",
        "alb.ingress.kubernetes.io/ssl-policy": TLS_POLICY,
        "alb.ingress.kubernetes.io/inbound-cidrs": ",".join(access.allowed_cidrs),
        "alb.ingress.kubernetes.io/healthcheck-path": HEALTH_PATH,
        "alb.ingress.kubernetes.io/subnets": facts.public_subnet_ids or "",
        "alb.ingress.kubernetes.io/security-groups": facts.load_balancer_security_group or "",
        "alb.ingress.kubernetes.io/manage-backend-security-group-rules": "true",
    }
    host = {"name": access.domain} if access.domain else None
    return {"apiServer": {
        "enabled": True, "ingressClassName": INGRESS_CLASS, "annotations": annotations,
        "path": "/", "pathType": "Prefix", "hosts": [host] if host else []}}


def ingress_class(env: Environment) -> dict[str, Any] | None:
    """The IngressClass that hands the chart's Ingress to Auto Mode's load balancing."""
    if env.access.mode != "alb":
        return None
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": INGRESS_CLASS, "labels": {"app.kubernetes.io/managed-by": "airhost"}},
            "spec": {"controller": AUTO_MODE_ALB}}


def tailscale_sidecar(env: Environment) -> dict[str, Any]:
    settings = env.access.tailscale
    assert settings is not None
    serve, script = tailscale_serve(), TAILSCALE_BOOT
    return {
        "name": "tailscale", "image": TAILSCALE_IMAGE, "imagePullPolicy": "Always",
        "command": ["/bin/sh", "-c", script],
        "env": [
            {"name": "AIRHOST_SERVE_CONFIG", "value": json.dumps(serve, sort_keys=True)},
            {"name": "TS_HOSTNAME", "value": settings.hostname or f"{env.project}-{env.name}"},
            {"name": "TS_SERVE_CONFIG", "value": "/tmp/tailscale/serve.json"},
            {"name": "TS_STATE_DIR", "value": "/tmp/tailscale"},
            {"name": "TS_USERSPACE", "value": "true"},
            {"name": "TS_KUBE_SECRET", "value": ""},
            {"name": "TS_AUTHKEY", "valueFrom": {"secretKeyRef": {"name": TAILSCALE_SECRET,
                                                                  "key": "authkey"}}},
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                            "runAsUser": 65532, "capabilities": {"drop": ["ALL"]}},
    }


__all__ = ["INGRESS_CLASS", "RELEASE", "ingress_class", "ingress_values", "tailscale_sidecar"]

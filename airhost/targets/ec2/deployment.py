"""A deployed EC2 environment: its Auto Scaling groups, one-off commands, counts, logs and facts."""

from __future__ import annotations

from airhost.render.stacks import Layer
from airhost.targets.cloud import CloudEnvironment


class Ec2Deployment(CloudEnvironment):
    layers: tuple[Layer, ...] = ("network", "data", "access", "compute")
    compute: Layer = "compute"

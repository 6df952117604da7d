"""``kubeconfig``: let kubectl (and other Kubernetes tools) reach an environment's cluster."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import yaml

from airhost.cli.output import config_option, deployment_for, stderr


@click.command()
@click.argument("environment")
@config_option
@click.option("--file", "-f", "target", type=click.Path(path_type=Path, dir_okay=False),
              help="Write it to this file (mode 600) instead of printing it.")
@click.option("--exec-credential", is_flag=True,
              help="Print a token as kubectl's exec plugin expects (what the kubeconfig runs).")
def kubeconfig(environment: str, config_path: Path, target: Path | None,
               exec_credential: bool) -> None:
    """Print (or write) a kubeconfig for ENVIRONMENT's EKS cluster.

    \b
    The file holds the cluster's endpoint and CA and no secret: its user runs
    'airhost kubeconfig ENV --exec-credential', which signs a token from your AWS identity
    (as 'aws eks get-token' does) each time kubectl needs one.
      airhost kubeconfig prod -f ~/.kube/airhost-prod && KUBECONFIG=~/.kube/airhost-prod kubectl get pods
    """
    deployment = deployment_for(config_path, environment, "kubeconfig")
    if exec_credential:
        click.echo(json.dumps(deployment.credential()))
        return
    command = ["airhost", "kubeconfig", environment, "--config", str(config_path.resolve()),
               "--exec-credential"]
    text = yaml.safe_dump(deployment.kubeconfig(command), sort_keys=False)
    if target is None:
        click.echo(text, nl=False)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    stderr.print(f"wrote {target}: KUBECONFIG={target} kubectl get pods")


COMMANDS = [kubeconfig]

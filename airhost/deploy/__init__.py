"""Deploying an environment: the pipeline every cloud target shares, and upgrades composed of it.

``deploy_environment`` is what ``airhost deploy`` runs: lint, then the pipeline
(``airhost.deploy.pipeline``) — or, when the recorded release runs another Airflow version than the
config, the upgrade's order (``airhost.deploy.upgrade``).
"""

from __future__ import annotations

from airhost.config.models import Environment
from airhost.deploy.pipeline import DeploySummary, lint, open_cloud, render, run_pipeline
from airhost.deploy.upgrade import upgrade_environment
from airhost.ops.image import pushed_image
from airhost.ops.release import read_release
from airhost.progress import Progress
from airhost.render.stacks import StackTemplate
from airhost.targets import require
from airhost.targets.cloud import CloudEnvironment

__all__ = ["DeploySummary", "deploy_environment"]


def deploy_environment(env: Environment, config_hash: str, progress: Progress, *,
                       deployment: CloudEnvironment | None = None,
                       stacks: list[StackTemplate] | None = None, confirm: bool = True,
                       image: str | None = None) -> DeploySummary:
    """Deploy ``env``: lint → stacks → hold → migrate → start → stable → health → release."""
    stacks = render(env, config_hash) if stacks is None else stacks
    lint(stacks, env, progress)
    deployment = deployment or open_cloud(env)
    if image is None and deployment.project_image():
        image = pushed_image(deployment)  # the one 'airhost image push' recorded, if any
    previous = read_release(deployment)
    if previous and previous.bootstrapped and previous.airflow_version not in (
            "", env.airflow.version):
        require(env, "upgrade")  # a target that cannot upgrade says so before anything changes
        progress.detail(f"the release runs Airflow {previous.airflow_version}, the config says "
                        f"{env.airflow.version}: deploying as an upgrade")
        return upgrade_environment(env, config_hash, progress, deployment=deployment,
                                   stacks=stacks, confirm=confirm, image=image)
    return run_pipeline(env, config_hash, progress, deployment=deployment, stacks=stacks,
                        previous=previous, image=image, confirm=confirm)

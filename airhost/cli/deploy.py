"""Environment lifecycle in the cloud: ``plan``, ``deploy`` and ``destroy``, for every cloud target."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from airhost.cli.output import config_option, emit, environment_for, output_option
from airhost.cli.terminal import ExitStatus, TerminalProgress, changes_table, err, out
from airhost.errors import Aborted, UsageError
from airhost.targets import open_deployment

yes_option = click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")


@click.command()
@click.argument("environment")
@config_option
@output_option
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 0 when there are none (1 is an error).")
def plan(environment: str, config_path: Path, output: str, detailed_exitcode: bool) -> None:
    """Show what `deploy ENVIRONMENT` would change, stack by stack; change nothing.

    Each deployed stack gets a CloudFormation change set, described then deleted; a stack that
    does not exist yet shows the resources it would create.
    """
    from airhost.deploy.pipeline import lint, render
    from airhost.stacks.plan import has_changes, plan_stacks

    project, env = environment_for(config_path, environment, "plan")
    stacks = render(env, project.config_hash)
    progress = TerminalProgress()
    lint(stacks, env, progress)
    deployment = open_deployment(project, env, "plan")
    plans = plan_stacks(deployment.cloudformation, stacks, progress)

    def table(data: list) -> None:
        for stack_plan in plans:
            if stack_plan.action == "none":
                out(f"{stack_plan.name}: no changes")
            elif stack_plan.action == "create":
                out(changes_table(f"{stack_plan.name} (would create)", stack_plan.changes))
            else:
                out(changes_table(stack_plan.name, stack_plan.changes))
        total = sum(len(p.changes) for p in plans)
        out(f"\n{total} change(s) in {sum(p.action != 'none' for p in plans)} stack(s)"
                     if total else "\nno changes")

    emit([stack_plan.to_json() for stack_plan in plans], output, table)
    if detailed_exitcode and has_changes(plans):
        raise ExitStatus("changes pending (--detailed-exitcode)", 2)


@click.command()
@click.argument("environment")
@config_option
@output_option
@yes_option
@click.option("--image", help="Airflow image to run instead of the configured one.")
@click.option("--show-password", is_flag=True, help="Print the Airflow admin password at the end.")
def deploy(environment: str, config_path: Path, output: str, yes: bool, image: str | None,
           show_password: bool) -> None:
    """Create or update ENVIRONMENT on AWS: stacks, database migration, admin user, services.

    Each stack's changes are shown and confirmed (skip with --yes); stack events stream as they
    happen. Re-running converges: an interrupted deploy is simply run again.
    """
    from airhost.deploy import deploy_environment

    project, env = environment_for(config_path, environment, "deploy")
    if not yes and not sys.stdin.isatty():
        raise UsageError(f"deploying {environment} needs confirmation: not running in a terminal",
                         hint="review with 'airhost plan', then pass --yes")
    deployment = open_deployment(project, env, "deploy")
    result = deploy_environment(env, project.config_hash, TerminalProgress(yes=yes),
                                deployment=deployment, confirm=not yes, image=image)
    summary = result.to_json()
    if show_password and result.admin_secret:
        summary["admin"] = deployment.secrets.get_json(result.admin_secret)

    def table(data: dict) -> None:
        counts: dict[str, int] = {}
        for stack in data["stacks"]:
            counts[stack["action"]] = counts.get(stack["action"], 0) + 1
        out(f"deployed {env.project}-{env.name} in {data['region']}: "
                     + ", ".join(f"{n} {action}" for action, n in sorted(counts.items())))
        release = data["release"]
        out(f"release {release.get('version')}: Airflow {release['airflow_version']}, "
                     f"image {release['image']}, config {release['config_hash']}")
        for component in data["components"]:
            out(f"  {component['component']}: {component['running']}/{component['desired']} "
                "running")
        out(f"url: {data['url'] or 'private (no load balancer)'}")
        if "admin" in data:
            out(f"admin user: {data['admin'].get('username')} "
                         f"password: {data['admin'].get('password')}")
        elif data.get("admin_secret"):
            out(f"admin password: in secret {data['admin_secret']} "
                         "(--show-password prints it)")

    emit(summary, output, table)


@click.command()
@click.argument("environment")
@config_option
@output_option
@yes_option
@click.option("--delete-data", is_flag=True,
              help="Also delete the log and DAG buckets (kept by default).")
def destroy(environment: str, config_path: Path, output: str, yes: bool, delete_data: bool) -> None:
    """Delete ENVIRONMENT from AWS, after a final database snapshot.

    Shows what will go and asks you to type the environment's name (or --yes). Stacks are deleted
    newest layer first; the buckets stay unless --delete-data; the snapshot id is printed.
    """
    from airhost.ops.destroy import describe_destruction, destroy_environment

    project, env = environment_for(config_path, environment, "destroy")
    aws = open_deployment(project, env, "destroy")
    what = describe_destruction(aws, delete_data=delete_data)
    err(f"[bold]destroying {env.project}-{env.name} in {what['region']}[/bold]")
    err("  stacks deleted: " + ", ".join(what["stacks"]))
    if what.get("database"):
        err(f"  database {what['database']}: a final snapshot is taken, then it is deleted")
    for bucket in what.get("buckets_kept", []):
        err(f"  bucket kept: {bucket}")
    for bucket in what.get("buckets_deleted", []):
        err(f"  bucket DELETED with its contents: {bucket}", style="red")
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("destroy needs confirmation: not running in a terminal",
                             hint="pass --yes to destroy from a script")
        typed = click.prompt("type the environment's name to destroy it", err=True, default="",
                             show_default=False)
        if typed.strip() != env.name:
            raise Aborted(f"not destroying: '{typed}' is not '{env.name}'", hint="nothing was deleted")
    result = destroy_environment(aws, TerminalProgress(yes=True), delete_data=delete_data)

    def table(data: dict) -> None:
        out(f"destroyed {env.project}-{env.name}: " + ", ".join(data["deleted_stacks"]))
        if data["snapshot"]:
            out(f"final database snapshot: {data['snapshot']} (restore from it to come back)")
        for bucket in data["buckets_kept"]:
            out(f"kept bucket: {bucket}")

    emit(result, output, table)


COMMANDS = [plan, deploy, destroy]

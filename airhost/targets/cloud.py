"""The AWS side every cloud target shares: the session, its facades, the stacks and records.

A ``CloudEnvironment`` is one environment in its account and region. Its stacks are named
``{project}-{env}-{layer}``; the shared ones (network, data, access) are the same for every target,
the compute stack is the target's own. Records airhost keeps beside the stacks (the release, a
parked environment's counts) are SSM parameters under ``/airhost/{project}/{env}/``.
"""

from __future__ import annotations

from airhost.aws.cloudformation import CloudFormation, Stack
from airhost.aws.errors import NotDeployed, StackFailed
from airhost.aws.groups import Groups
from airhost.aws.logs import Logs
from airhost.aws.rds import Rds
from airhost.aws.s3 import Buckets
from airhost.aws.secrets import Secrets
from airhost.aws.session import AwsSession, Clock
from airhost.aws.ssm import Parameters
from airhost.config.models import Environment
from airhost.dags.destinations import BucketDestination
from airhost.progress import Progress
from airhost.render.common import stack_tags
from airhost.render.data import BUNDLE_PREFIX
from airhost.render.egress import EGRESS_PARAMETER, RUNNING as EGRESS_RUNNING_STATE
from airhost.render.stacks import Layer, StackTemplate, stack_name
from airhost.stacks.apply import deploy_stack
from airhost.targets.base import Deployment

# The SSM record of a parked environment: the counts (and autoscaling bounds) to resume.
PARKED = "parked"


class CloudEnvironment(Deployment):
    """One environment's account and region, with a facade per AWS service the stacks share.

    The base of every cloud target's deployment: ``layers`` are the target's stacks in deploy
    order, ``compute`` the layer whose outputs say the environment is deployed.
    """

    layers: tuple[Layer, ...] = ()
    compute: Layer = "airflow"

    def __init__(self, env: Environment, *, session: AwsSession | None = None,
                 clock: Clock | None = None) -> None:
        self.env = env
        self.session = session or AwsSession(env.region or "", clock=clock)
        self.clock = self.session.clock
        self.cloudformation = CloudFormation(self.session)
        self.logs = Logs(self.session)
        self.rds = Rds(self.session)
        self.parameters = Parameters(self.session)
        self.secrets = Secrets(self.session)
        self.buckets = Buckets(self.session)
        self.groups = Groups(self.session)

    @property
    def cloud(self) -> CloudEnvironment:  # type: ignore[override]
        return self

    @property
    def label(self) -> str:
        return f"{self.env.project}-{self.env.name} ({self.session.region})"

    def stack_name(self, layer: Layer) -> str:
        return stack_name(self.env.project, self.env.name, layer)

    def parameter_name(self, record: str) -> str:
        return f"/airhost/{self.env.project}/{self.env.name}/{record}"

    def stacks(self) -> dict[Layer, Stack | None]:
        """Every layer's stack as CloudFormation describes it (None: not deployed), deploy order."""
        return {layer: self.cloudformation.describe(self.stack_name(layer)) for layer in self.layers}

    def outputs(self, layer: Layer) -> dict[str, str]:
        stack = self.cloudformation.describe(self.stack_name(layer))
        return dict(stack.outputs) if stack else {}

    def bundle(self) -> BucketDestination:
        """The S3 DAG bundle: the data stack's DAG bucket, under ``dags/``."""
        bucket = self.outputs("data").get("DagsBucket")
        if not bucket:
            raise NotDeployed(f"environment '{self.env.name}' has no DAG bucket: its data stack "
                              "is not deployed", hint=f"run 'airhost deploy {self.env.name}'")
        return BucketDestination(self.buckets, bucket, BUNDLE_PREFIX)

    def set_egress(self, state: str, progress: Progress) -> bool:
        """The network stack's hourly egress ``running`` or ``parked``; False when it has none.

        The deployed template is updated with its ``Egress`` parameter alone changed, so parking
        never applies a configuration change the user has not deployed. Already in that state (a
        resume after a park that failed half-way) is no change.
        """
        name = self.stack_name("network")
        stack = self.cloudformation.describe(name)
        if stack is None or EGRESS_PARAMETER not in stack.parameters:
            return False
        template = self.cloudformation.template(name)
        deployed = StackTemplate(layer="network", name=name, template=template,
                                 tags=stack_tags(self.env, "network"))
        # An SSM-typed parameter (the NAT instance's image) keeps its default, the parameter's path.
        declared = template.get("Parameters", {})
        values = {key: value for key, value in stack.parameters.items()
                  if not str(declared.get(key, {}).get("Type", "")).startswith("AWS::SSM::Parameter::Value")}
        progress.step(f"egress of {self.env.name}: {state}")
        result = deploy_stack(self.cloudformation, deployed, {**values, EGRESS_PARAMETER: state},
                              progress, confirm=False)
        # A schedule sizes the NAT instance's group by itself, so the parameter may already say
        # ``state`` while the group says otherwise: size the group to match either way.
        group = (result.outputs if result and result.outputs else stack.outputs).get("NatGroupName")
        if group:
            size = 1 if state == EGRESS_RUNNING_STATE else 0
            self.groups.set_capacity(group, size, minimum=size, maximum=size)
        return True

    def hold(self, progress: Progress) -> None:
        """Every component at zero, waited for: nothing writes to the database afterwards, and
        nothing starts them again by itself until ``resume_scaling``."""
        self.suspend_scaling(progress)
        running = {state.component: 0 for state in self.components() if state.desired}
        if running:
            self.scale(running, progress)

    def refresh(self) -> None:
        """Forget what was read of the stacks so far: they changed (an upgrade, a restore)."""

    def explain_stack_failure(self, error: StackFailed, since: float) -> StackFailed:
        """A failed stack that starts components, with what the target knows beyond
        CloudFormation's events (why the components would not start since ``since``, epoch
        seconds); by default the error as it is."""
        return error

    def checkpoint(self) -> None:
        """Before an upgrade stops anything: note what a rollback must put back that the compute
        stack's previous template and parameters do not hold (nothing, by default)."""

    def start_previous(self, progress: Progress, stacks: list[StackTemplate]) -> None:
        """After a failed upgrade, the previous compute stack being back: start the release that
        ran before ``checkpoint`` (by default the target's own start)."""
        self.start(progress, stacks)

    def database_switched(self, progress: Progress) -> None:
        """The data stack now points at another database instance (a restore): whatever the
        target copied of its connection must follow before any component starts again.

        Nothing by default: ECS tasks and EC2 nodes read the database URL secret from Secrets
        Manager when they start, so the scale-up after the hold already reads the new one.
        """

    def require_deployed(self) -> dict[Layer, Stack | None]:
        """The stacks, when the compute stack exists with outputs; NotDeployed otherwise."""
        stacks = self.stacks()
        compute = stacks.get(self.compute)
        if compute is None or compute.never_created or not compute.outputs:
            raise NotDeployed(
                f"environment {self.env.name} is not deployed in {self.session.region}: "
                f"stack {self.stack_name(self.compute)} does not exist",
                hint=f"run 'airhost deploy {self.env.name}' (or check the region and AWS_PROFILE)")
        return stacks

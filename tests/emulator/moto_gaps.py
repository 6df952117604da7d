"""The emulator: moto in server mode, with its gaps filled for what airhost's tests need.

The server runs in the test (or benchmark) process, moto's ``ThreadedMotoServer`` on 127.0.0.1, so
moto can be patched where it differs from AWS. Each gap is documented here and nowhere in airhost's
code, which talks to the server exactly as to AWS:

* a stack created or updated through a change set keeps the Outputs and Parameters of its previous
  template (moto never rebuilds them on ``ExecuteChangeSet``): refreshed after every execution;
* ``UpdateTerminationProtection`` is not implemented: implemented, and ``DeleteStack`` refuses a
  protected stack as AWS does;
* containers never run: ``Emulator.script`` plays them — for a command it writes the log lines to the
  task's awslogs stream and sets the container's exit code (moto's is always 0);
* a container definition without its own memory (Fargate takes the task's) makes ``RunTask`` fail:
  counted as zero;
* ``AWS::SecretsManager::Secret`` is not created by moto's CloudFormation (a ``Ref`` to it is empty,
  so the data stack has no secret outputs): ``EmulatedSecret`` creates it through moto's Secrets
  Manager, generating ``GenerateSecretString`` values;
* ``AWS::ServiceDiscovery::*`` is unknown to moto's CloudFormation, so a ``GetAtt`` on it fails the
  whole stack: ``EmulatedResource`` stands in with made-up ids and ARNs (nothing reads them);
* ``${Database.Endpoint.Address}`` in an ``Fn::Sub`` becomes ``GetAtt [Database, Endpoint]`` in moto
  (it splits the name on every dot): the attribute keeps its dots;
* deleting a network stack fails with "the vpc has dependencies" (moto deletes resources without
  following their dependencies, as AWS does): what it cannot delete is left behind, as the note on
  moto says, and the stack is deleted;
* ``FilterLogEvents`` ignores ``logStreamNamePrefix``: the prefix is turned into the stream names;
* an ``AWS::RDS::DBInstance`` changed by a stack update becomes nothing (moto has no update for it)
  and ``DBSnapshotIdentifier`` is ignored: a new ``DBSnapshotIdentifier`` restores the snapshot into
  a new instance, as CloudFormation's replacement does, and the old one is left (the template's
  ``UpdateReplacePolicy: Retain``); any other change leaves the instance as it is;
* a stack update changes only the resources whose template or directly referenced parameters
  changed, so a secret whose ``SecretString`` names another resource's attribute (the database URL
  secret, ``${Database.Endpoint.Address}``) keeps the old value when that resource is replaced:
  after every update such a secret's ``SecretString`` is resolved again and stored as a new
  version when it differs, as CloudFormation updates the dependents of a replaced resource;
* an ``AWS::ECS::TaskDefinition`` changed by a stack update is registered with its container
  definitions' keys left in CloudFormation's PascalCase (no ``image`` any more), and the services
  using it keep the old revision: the update registers the new revision as the create does and
  moves the services that ran the old one to it, as CloudFormation's replacement does;
* an ``AWS::EC2::SecurityGroup`` ingress rule for every protocol (``IpProtocol: "-1"``) without
  ports raises ``KeyError: 'FromPort'`` (AWS takes no ports then; cfn-lint warns if they are
  given): the rule gets the ports -1 AWS implies;
* a failing stack never fails (moto applies or errors with HTTP 500): ``fail_next_execution`` makes
  the next change set of a stack end like AWS's — the resource's ``*_FAILED`` event with its reason,
  then ``ROLLBACK_COMPLETE`` (first create) or ``UPDATE_ROLLBACK_COMPLETE`` (update, the previous
  template and outputs still in place);
* S3 bucket policies are enforced without their conditions, so a TLS-only statement (``Deny`` when
  ``aws:SecureTransport`` is ``false``) denies everything on the emulator's plain-HTTP endpoint:
  such a statement is left out of the evaluation, as it never matches on AWS's HTTPS endpoints.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.core.common_models import CloudFormationModel
from moto.ec2.models import security_groups as ec2_security_groups
from moto.ecs import models as ecs_models
from moto.logs import models as logs_models
from moto.rds import models as rds_models
from moto.logs import responses as logs_responses
from moto.secretsmanager.models import secretsmanager_backends
from moto.server import ThreadedMotoServer

from tests.emulator.aws_quotas import enforce_quotas
from tests.emulator.moto_services import patch_service_tasks

REGION = "eu-west-1"


@dataclass
class ContainerScript:
    exit_code: int = 0
    lines: list[str] = field(default_factory=list)
    meanwhile: Callable[[], None] | None = None  # what happens in the account as the task starts


@dataclass
class Emulator:
    """The running server, and what the tests script into it."""

    url: str
    scripts: dict[str, ContainerScript] = field(default_factory=dict)  # command text → script
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)  # stack → (resource, reason)
    meanwhile: dict[str, Callable[[], None]] = field(default_factory=dict)  # stack → during its failure
    commands: list[list[str]] = field(default_factory=list)  # every task's command, in order
    running_at_start: list[int] = field(default_factory=list)  # services' desired count then

    def script(self, command: str, *, exit_code: int = 0, lines: list[str] | None = None,
               meanwhile: Callable[[], None] | None = None) -> None:
        """Tasks whose command contains ``command`` log ``lines`` and exit with ``exit_code``;
        ``meanwhile`` runs as such a task starts (an edge of a schedule, say)."""
        self.scripts[command] = ContainerScript(exit_code, lines or [], meanwhile)

    def fail_next_execution(self, stack: str, resource: str, reason: str,
                            meanwhile: Callable[[], None] | None = None) -> None:
        """The next change set of ``stack`` fails on ``resource``; ``meanwhile`` is what happens
        in the account while it runs (e.g. a service's tasks stopping)."""
        self.failures[stack] = (resource, reason)
        if meanwhile is not None:
            self.meanwhile[stack] = meanwhile

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()
        self.scripts.clear()
        self.failures.clear()
        self.meanwhile.clear()
        self.commands.clear()
        self.running_at_start.clear()


class EmulatedSecret(CloudFormationModel):
    """AWS::SecretsManager::Secret for moto's CloudFormation, stored in moto's Secrets Manager."""

    __module__ = "moto.secretsmanager.emulated"  # moto's model registry reads the service from it

    def __init__(self, arn: str, name: str) -> None:
        self.arn, self.name = arn, name

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Id",)

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        properties = cloudformation_json.get("Properties", {})
        backend = secretsmanager_backends[account_id][region_name]
        value = properties.get("SecretString")
        generate = properties.get("GenerateSecretString")
        if generate is not None:
            password = backend.get_random_password(
                password_length=generate.get("PasswordLength", 32),
                exclude_characters=generate.get("ExcludeCharacters", ""),
                exclude_numbers=False, exclude_punctuation=generate.get("ExcludePunctuation", False),
                exclude_uppercase=False, exclude_lowercase=False, include_space=False,
                require_each_included_type=False)
            password = json.loads(password)["RandomPassword"] if password.startswith("{") else password
            value = password
            if "SecretStringTemplate" in generate:
                data = json.loads(generate["SecretStringTemplate"])
                data[generate.get("GenerateStringKey", "password")] = password
                value = json.dumps(data)
        secret = backend.create_secret(
            name=resource_name, secret_string=value if isinstance(value, str) else json.dumps(value),
            secret_binary=None, description=properties.get("Description"), tags=[], kms_key_id=None,
            client_request_token=None, replica_regions=[], force_overwrite=False)
        return cls(json.loads(secret)["ARN"] if isinstance(secret, str) else secret["ARN"],
                   resource_name)


class EmulatedResource(CloudFormationModel):
    """A resource moto's CloudFormation does not know, with plausible Ref and GetAtt values."""

    __module__ = "moto.servicediscovery.emulated"
    resource_type = "AWS::ServiceDiscovery::Service"

    def __init__(self, name: str, account_id: str, region_name: str) -> None:
        self.name = name
        self.id = f"srv-{abs(hash(name)) % 10**12:012d}"
        self.arn = f"arn:aws:servicediscovery:{region_name}:{account_id}:service/{self.id}"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.resource_type

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn if attribute_name == "Arn" else self.id

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        return cls(resource_name, account_id, region_name)


class EmulatedNamespace(EmulatedResource, CloudFormationModel):  # moto lists direct subclasses
    __module__ = "moto.servicediscovery.emulated"
    resource_type = "AWS::ServiceDiscovery::PrivateDnsNamespace"


def _patch_clean_json() -> None:
    original = cfn_parsing.clean_json

    def clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict) and isinstance(resource_json.get("Fn::GetAtt"), list):
            parts = resource_json["Fn::GetAtt"]
            if len(parts) > 2:
                resource_json = {"Fn::GetAtt": [parts[0], ".".join(parts[1:])]}
        return original(resource_json, resources_map)

    cfn_parsing.clean_json = clean_json


def _patch_resource_deletion() -> None:
    original = cfn_parsing.ResourceMap.delete

    def delete(self):
        try:
            original(self)
        except Exception as error:  # noqa: BLE001 - moto raises its last dependency error
            if "DependencyViolation" not in type(error).__name__ + str(error) and \
                    "has dependencies" not in str(error):
                raise

    cfn_parsing.ResourceMap.delete = delete


def _patch_tls_only_bucket_policies() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    tls_only = {"Bool": {"aws:SecureTransport": "false"}}

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        statements = policy.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        policy["Statement"] = [st for st in statements if st.get("Condition") != tls_only]
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def _patch_log_filter() -> None:
    original = logs_responses.LogsResponse.filter_log_events

    def filter_log_events(self):
        prefix = self._get_param("logStreamNamePrefix")
        if prefix and not self._get_param("logStreamNames"):
            group = self.logs_backend.groups.get(self._get_param("logGroupName"))
            names = [name for name in (group.streams if group else {}) if name.startswith(prefix)]
            names = names or ["-no-stream-matches-"]
            get = self._get_param
            self._get_param = lambda name, if_none=None: (
                names if name == "logStreamNames" else get(name, if_none))
        return original(self)

    logs_responses.LogsResponse.filter_log_events = filter_log_events


def _patch_all_protocol_rules() -> None:
    original = ec2_security_groups.SecurityGroup.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id,
                                        region_name, **kwargs):
        for rule in cloudformation_json.get("Properties", {}).get("SecurityGroupIngress", []):
            if str(rule.get("IpProtocol")) == "-1":
                rule.setdefault("FromPort", -1)
                rule.setdefault("ToPort", -1)
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    ec2_security_groups.SecurityGroup.create_from_cloudformation_json = classmethod(
        create_from_cloudformation_json)


def _patch_database_updates() -> None:
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        snapshot = cloudformation_json.get("Properties", {}).get("DBSnapshotIdentifier")
        if not snapshot or getattr(original_resource, "restored_from", None) == snapshot:
            return original_resource
        backend = rds_models.rds_backends[account_id][region_name]
        identifier = f"{new_resource_name}-{uuid.uuid4().hex[:8]}".lower().replace("_", "-")
        database = backend.restore_db_instance_from_db_snapshot(
            snapshot, {"db_instance_identifier": identifier})
        database.restored_from = snapshot
        return database

    rds_models.DBInstance.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)


def _patch_task_definition_updates() -> None:
    task_definition_cls = ecs_models.TaskDefinition

    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,
                                        account_id, region_name):
        replacement = task_definition_cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name)
        if replacement.container_definitions == original_resource.container_definitions:
            return original_resource
        backend = ecs_models.ecs_backends[account_id][region_name]
        for service in backend.services.values():
            if service.task_definition == original_resource.arn:
                service.task_definition = replacement.arn
        return replacement

    task_definition_cls.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)


def _patch_dependent_secrets() -> None:
    original = cfn_parsing.ResourceMap.update

    def update(self, template, parameters=None):
        original(self, template, parameters)
        for name, resource in list(self._parsed_resources.items()):
            properties = self._resource_json_map.get(name, {}).get("Properties", {})
            if not isinstance(resource, EmulatedSecret) or "SecretString" not in properties:
                continue
            value = cfn_parsing.clean_json(properties["SecretString"], self)
            value = value if isinstance(value, str) else json.dumps(value)
            backend = secretsmanager_backends[self._account_id][self._region_name]
            current = backend.get_secret_value(resource.arn, "", "").get("SecretString")
            if value != current:
                backend.put_secret_value(resource.arn, value, "", str(uuid.uuid4()), ["AWSCURRENT"])

    cfn_parsing.ResourceMap.update = update


def patch_moto(emulator: Emulator) -> None:
    """Fill every gap listed above (once per process)."""
    _patch_clean_json()
    _patch_database_updates()
    _patch_dependent_secrets()
    _patch_all_protocol_rules()
    _patch_task_definition_updates()
    _patch_log_filter()
    _patch_tls_only_bucket_policies()
    _patch_resource_deletion()
    for cache in (cfn_parsing.get_model_list, cfn_parsing.get_model_map, cfn_parsing.get_name_type_map):
        cache.cache_clear()  # so moto sees EmulatedSecret and EmulatedResource
    _patch_stacks(emulator)
    _patch_containers(emulator)
    patch_service_tasks()
    enforce_quotas()  # where moto is more lenient than AWS, AWS's documented rule holds


def _patch_stacks(emulator: Emulator) -> None:
    backend_cls = cfn_models.CloudFormationBackend
    original_execute = backend_cls.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        failure = emulator.failures.pop(stack.name, None)
        if failure:
            happening = emulator.meanwhile.pop(stack.name, None)
            if happening is not None:
                happening()
            _fail(stack, change_set, *failure)
            return
        original_execute(self, change_set_name, stack_name)
        stack.parameters = dict(change_set.parameters)
        stack._parse_template()
        stack.output_map = stack._create_output_map()

    def update_termination_protection(self):
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        value = self._get_param("EnableTerminationProtection")
        stack.enable_termination_protection = value in (True, "true")
        return ActionResult({"StackId": stack.stack_id})

    original_delete = backend_cls.delete_stack

    def delete_stack(self, name_or_stack_id):
        for stack in self.stacks.values():
            if name_or_stack_id in (stack.name, stack.stack_id) and stack.enable_termination_protection:
                raise cfn_models.ValidationError(
                    stack.stack_id, message=f"Stack [{stack.name}] cannot be deleted while "
                    "TerminationProtection is enabled")
        original_delete(self, name_or_stack_id)

    backend_cls.execute_change_set = execute_change_set
    backend_cls.delete_stack = delete_stack
    cfn_responses.CloudFormationResponse.update_termination_protection = update_termination_protection


def _patch_containers(emulator: Emulator) -> None:
    original_run_task = ecs_models.EC2ContainerServiceBackend.run_task

    def run_task(self, *args, **kwargs):
        tasks = original_run_task(self, *args, **kwargs)
        for task in tasks:
            _play_container(emulator, self, task)
        return tasks

    ecs_models.EC2ContainerServiceBackend.run_task = run_task
    original_requirements = ecs_models.EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition):
        for container in task_definition.container_definitions:
            if not any(key in container for key in ("Memory", "MemoryReservation", "memory",
                                                    "memoryReservation")):
                container["MemoryReservation"] = 0
        return original_requirements(task_definition)

    ecs_models.EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)


def _fail(stack, change_set, resource: str, reason: str) -> None:
    kind = change_set.change_set_type
    resource_type = change_set.template_dict.get("Resources", {}).get(resource, {}).get("Type", "")
    stack._add_stack_event(f"{kind}_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.events.append(cfn_models.Event(stack.stack_id, stack.name, resource, "", resource_type,
                                         f"{kind}_FAILED", reason, None))
    final = "ROLLBACK_COMPLETE" if kind == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event(final.replace("COMPLETE", "IN_PROGRESS"),
                           resource_status_reason=f"The following resource(s) failed: [{resource}]")
    stack._add_stack_event(final)
    stack.status = final
    change_set.execution_status = "EXECUTE_FAILED"


def _container_options(task_definition) -> tuple[str, dict[str, str]]:
    container = task_definition.container_definitions[0]
    name = container.get("Name") or container.get("name")
    config = container.get("LogConfiguration") or container.get("logConfiguration") or {}
    return name, config.get("Options") or config.get("options") or {}


def _play_container(emulator: Emulator, backend, task) -> None:
    name, options = _container_options(backend.describe_task_definition(task.task_definition_arn))
    overrides = (task.overrides or {}).get("containerOverrides", [{}])
    command = overrides[0].get("command", []) if overrides else []
    emulator.commands.append(list(command))
    text = " ".join(command)
    script = next((s for key, s in emulator.scripts.items() if key in text), ContainerScript())
    if script.meanwhile is not None:
        script.meanwhile()
    emulator.running_at_start.append(sum(s.desired_count for s in backend.services.values()))
    for container in task.containers:
        container.exitCode = script.exit_code
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if not (group and prefix and script.lines):
        return
    logs = logs_models.logs_backends[DEFAULT_ACCOUNT_ID][task.region_name]
    stream = f"{prefix}/{name}/{task.id}"
    logs.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    logs.put_log_events(group, stream, [{"timestamp": now + i, "message": line}
                                        for i, line in enumerate(script.lines)])


def start_emulator() -> tuple[ThreadedMotoServer, Emulator]:
    """A moto server on a free 127.0.0.1 port, its gaps filled."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    emulator = Emulator(url=f"http://{host}:{port}")
    patch_moto(emulator)
    return server, emulator

"""Every example environment on the emulator: deploy, a one-off command, status, destroy.

The examples name resources of an imagined account: an ACM certificate, an existing VPC and its
subnets. The fixture creates their stand-ins in the emulator (a certificate imported into ACM, a
VPC with two private and two public subnets, an admins' security group) and points a copy of the example at them — as a
user points airhost.yaml at their own account. Everything else is the example as shipped.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from airhost.config import load_project
from airhost.deploy import deploy_environment
from airhost.ops.destroy import destroy_environment
from airhost.ops.status import environment_status
from airhost.progress import Progress
from airhost.targets.ecs import EcsDeployment

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(900)]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0f5e2a1c-3b4d-4e6f-8a9b-1c2d3e4f5a6b"
VPC = "vpc-0a1b2c3d4e5f60718"
SUBNETS = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003",
           "subnet-0a1b2c3d4e5f60004"]
ADMIN_GROUP = "sg-0a1b2c3d4e5f60719"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/analytics:test"


def cloud_environments(folder: str) -> list[tuple[str, str]]:
    project = load_project(EXAMPLES / folder)
    return [(folder, name) for name, env in project.environments.items() if not env.is_local]


CASES = cloud_environments("ecs") + cloud_environments("quickstart")


def self_signed(domain: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), False)
                   .sign(key, hashes.SHA256()))
    return (certificate.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def account_stand_ins(text: str) -> str:
    """The example's account resources created in the emulator; the text pointed at them."""
    if CERTIFICATE in text:
        body, key = self_signed("airflow.example.com")
        arn = boto3.client("acm").import_certificate(Certificate=body, PrivateKey=key)["CertificateArn"]
        text = text.replace(CERTIFICATE, arn)
    if VPC in text:
        ec2 = boto3.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        text = text.replace(VPC, vpc)
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        for index, old in enumerate(SUBNETS):
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{index}.0/24",
                                       AvailabilityZone=zones[index % 2])["Subnet"]["SubnetId"]
            text = text.replace(old, subnet)
        if ADMIN_GROUP in text:
            group = ec2.create_security_group(GroupName="admins", Description="database admins",
                                              VpcId=vpc)["GroupId"]
            text = text.replace(ADMIN_GROUP, group)
    return text


@pytest.mark.parametrize("folder,name", CASES, ids=[f"{f}/{n}" for f, n in CASES])
def test_the_example_deploys_runs_reports_and_is_destroyed(emulator, tmp_path, folder, name):
    root = tmp_path / folder
    shutil.copytree(EXAMPLES / folder, root, ignore=shutil.ignore_patterns(".airhost", "build"))
    config = root / "airhost.yaml"
    config.write_text(account_stand_ins(config.read_text()))
    project = load_project(root)
    env = project.environment(name)
    emulator.script("db migrate", lines=["Database migrating done!"])
    emulator.script("version", lines=[env.airflow.version])

    deployment = EcsDeployment(env)
    image = IMAGE if deployment.project_image() else None
    summary = deploy_environment(env, project.config_hash, Progress(), deployment=deployment,
                                 confirm=False, image=image)
    assert summary.release.bootstrapped
    assert all(c.desired == c.running for c in summary.components)

    progress = Progress()
    result = deployment.run(["version"], progress, timeout=60)
    assert result.exit_code == 0 and env.airflow.version in progress.text()

    status = environment_status(deployment, check_api=False)
    assert status.deployed and status.release is not None
    assert {c.component for c in status.components} == set(deployment.ecs_facts.services)

    destroyed = destroy_environment(EcsDeployment(env), Progress())
    assert destroyed["snapshot"] and f"{env.project}-{name}-airflow" in destroyed["deleted_stacks"]
    assert not environment_status(EcsDeployment(env), check_api=False).deployed

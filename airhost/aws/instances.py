"""EC2 instances airhost starts itself: a one-off node from a group's launch template."""

from __future__ import annotations

from airhost.aws.errors import WaitTimeout
from airhost.aws.session import AwsSession


class Instances:
    def __init__(self, session: AwsSession) -> None:
        self.session = session

    def run_from_template(self, template_id: str, subnet: str, tags: dict[str, str]) -> str:
        """One instance of the launch template's latest version in ``subnet``; its id."""
        answer = self.session.call(
            "ec2", "run_instances", MinCount=1, MaxCount=1, SubnetId=subnet,
            LaunchTemplate={"LaunchTemplateId": template_id, "Version": "$Latest"},
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}])
        return answer["Instances"][0]["InstanceId"]

    def wait_managed(self, instance_id: str, *, timeout: float) -> None:
        """Until the instance's SSM agent reports in (Run Command can reach it)."""
        clock = self.session.clock
        deadline = clock.monotonic() + timeout
        while True:
            found = self.session.call("ssm", "describe_instance_information", Filters=[
                {"Key": "InstanceIds", "Values": [instance_id]}]).get("InstanceInformationList", [])
            if any(item.get("PingStatus") == "Online" for item in found):
                return
            if clock.monotonic() > deadline:
                raise WaitTimeout(f"instance {instance_id} did not reach Systems Manager in "
                                  f"{timeout:.0f}s",
                                  hint="check the subnets' route to SSM (NAT, or the ssm, "
                                       "ssmmessages and ec2messages endpoints)")
            clock.sleep(clock.poll_seconds)

    def terminate(self, instance_id: str) -> None:
        self.session.call("ec2", "terminate_instances", InstanceIds=[instance_id])

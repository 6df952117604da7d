"""The egress choices of a new VPC, and the parameter that parks them."""

from __future__ import annotations

import pytest

from airhost.errors import ConfigError
from tests.render.conftest import resources_of
from tests.render.test_ecs_stacks import render


def network(**settings):
    return next(s for s in render(**settings) if s.layer == "network").template


def test_a_new_project_gets_a_nat_instance_behind_a_fixed_interface():
    template = network()
    resources = template["Resources"]
    assert not resources_of(template, "AWS::EC2::NatGateway")
    assert not resources_of(template, "AWS::EC2::EIP")  # the instance's address lives and dies with it
    route = resources["PrivateDefaultRoute"]["Properties"]
    assert route["NetworkInterfaceId"] == {"Ref": "NatInterface"}  # survives a replaced instance
    assert resources["NatInterface"]["Properties"]["SourceDestCheck"] is False
    data = resources["NatLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert data["InstanceType"] == "t4g.nano"
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert "KeyName" not in data
    assert "arm64" in template["Parameters"]["NatImage"]["Default"]
    assert "MASQUERADE" in data["UserData"]["Fn::Base64"]["Fn::Sub"]
    # nothing from the internet: only the tasks' group may send to the NAT instance
    ingress = resources["NatSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert ingress == [{"SourceSecurityGroupId": {"Ref": "TaskSecurityGroup"}, "IpProtocol": "-1",
                        "Description": "outbound traffic of the Airflow tasks"}]


def test_parking_takes_the_nat_instance_group_to_zero():
    template = network()
    assert template["Parameters"]["Egress"]["AllowedValues"] == ["running", "parked"]
    group = template["Resources"]["NatGroup"]["Properties"]
    for key in ("MinSize", "MaxSize", "DesiredCapacity"):
        assert group[key] == {"Fn::If": ["EgressRunning", "1", "0"]}


def test_parking_removes_the_nat_gateway_its_address_and_its_route():
    template = network(network={"egress": "nat-gateway"})
    resources = template["Resources"]
    for name in ("NatGateway", "NatAddress", "PrivateDefaultRoute"):
        assert resources[name]["Condition"] == "EgressRunning", name
    assert template["Conditions"]["EgressRunning"] == {"Fn::Equals": [{"Ref": "Egress"}, "running"]}


def test_endpoints_only_and_existing_vpcs_have_nothing_to_park():
    assert "Egress" not in network(network={"egress": "endpoints"}, ecs={"image": "ecr"}).get("Parameters", {})
    existing = network(network={"vpc_id": "vpc-0a1b2c3d4e5f60718",
                                "private_subnet_ids": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]})
    assert "Egress" not in existing.get("Parameters", {})


def test_the_earlier_nat_spelling_still_reads_and_says_the_new_one():
    assert resources_of(network(network={"nat": "gateway"}), "AWS::EC2::NatGateway")
    with pytest.raises(ConfigError) as error:
        render(network={"nat": "instance"})
    assert "network.egress" in str(error.value) and "nat-instance" in str(error.value)
    with pytest.raises(ConfigError) as error:
        render(network={"nat": "gateway", "egress": "nat-instance"})
    assert "keep egress only" in str(error.value)

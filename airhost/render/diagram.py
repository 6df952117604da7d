"""An SVG picture of an environment's rendered stacks, for reviewers who would rather look than read.

Drawn from the templates themselves, not from the config, so the picture shows what will be created:
one column per stack in deploy order, one box per resource that matters to a reviewer (plumbing
such as route associations and policies is counted, not drawn), and arrows for the values each stack
takes from an earlier one. Pure: same stacks, same SVG.
"""

from __future__ import annotations

from html import escape
from typing import Any

from airhost.render.stacks import StackTemplate

# Resource type → (short label, colour). Types not listed are counted under "plus N more".
SHOWN = {
    "AWS::EC2::VPC": ("VPC", "#e8f1fb"),
    "AWS::EC2::Subnet": ("subnet", "#e8f1fb"),
    "AWS::EC2::NatGateway": ("NAT gateway", "#e8f1fb"),
    "AWS::EC2::InternetGateway": ("internet gateway", "#e8f1fb"),
    "AWS::EC2::VPCEndpoint": ("VPC endpoint", "#e8f1fb"),
    "AWS::EC2::SecurityGroup": ("security group", "#fdecea"),
    "AWS::RDS::DBInstance": ("RDS PostgreSQL", "#e6f4ea"),
    "AWS::SecretsManager::Secret": ("secret", "#fff4e5"),
    "AWS::S3::Bucket": ("S3 bucket", "#e6f4ea"),
    "AWS::ECR::Repository": ("ECR repository", "#e6f4ea"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("load balancer", "#f3e8fd"),
    "AWS::ElasticLoadBalancingV2::Listener": ("listener", "#f3e8fd"),
    "AWS::ElasticLoadBalancingV2::TargetGroup": ("target group", "#f3e8fd"),
    "AWS::ECS::Cluster": ("ECS cluster", "#fff8e1"),
    "AWS::ECS::CapacityProvider": ("capacity provider", "#fff8e1"),
    "AWS::ECS::Service": ("ECS service", "#fff8e1"),
    "AWS::ECS::TaskDefinition": ("task definition", "#fffdf0"),
    "AWS::AutoScaling::AutoScalingGroup": ("Auto Scaling group", "#fff8e1"),
    "AWS::EC2::LaunchTemplate": ("launch template", "#fffdf0"),
    "AWS::EKS::Cluster": ("EKS cluster", "#fff8e1"),
    "AWS::EKS::Nodegroup": ("managed node group", "#fff8e1"),
    "AWS::EKS::PodIdentityAssociation": ("Pod Identity", "#fffdf0"),
    "AWS::EKS::Addon": ("EKS add-on", "#fffdf0"),
    "AWS::KMS::Key": ("KMS key", "#fff4e5"),
    "AWS::SQS::Queue": ("SQS queue", "#e6f4ea"),
    "AWS::ServiceDiscovery::PrivateDnsNamespace": ("DNS namespace", "#e8f1fb"),
    "AWS::Logs::LogGroup": ("log group", "#f1f3f4"),
    "AWS::IAM::Role": ("IAM role", "#f1f3f4"),
}
COLUMN_WIDTH = 300
GAP = 80
BOX_HEIGHT = 46
TOP = 90


def _boxes(stack: StackTemplate) -> tuple[list[tuple[str, str, str, str]], int]:
    """(logical id, label, description, colour) per shown resource, and how many were not shown."""
    boxes, hidden = [], 0
    for logical, resource in stack.template.get("Resources", {}).items():
        shown = SHOWN.get(resource["Type"])
        if shown is None:
            hidden += 1
            continue
        label, colour = shown
        description = resource.get("Metadata", {}).get("Description", "")
        boxes.append((logical, label, description, colour))
    return boxes, hidden


def _text(x: float, y: float, text: str, size: int = 12, weight: str = "normal",
          anchor: str = "start") -> str:
    return (f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}" '
            f'text-anchor="{anchor}">{escape(text)}</text>')


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_diagram(stacks: list[StackTemplate], title: str) -> str:
    """The SVG document for ``stacks`` (in deploy order)."""
    columns: list[str] = []
    anchors: dict[str, tuple[float, float, float]] = {}  # layer → (left x, right x, y of header)
    height = TOP
    for index, stack in enumerate(stacks):
        x = 20 + index * (COLUMN_WIDTH + GAP)
        boxes, hidden = _boxes(stack)
        parts = [_text(x + COLUMN_WIDTH / 2, TOP - 30, f"{index + 1}. {stack.layer}", 15, "bold", "middle"),
                 _text(x + COLUMN_WIDTH / 2, TOP - 12, stack.name, 11, anchor="middle")]
        y = TOP
        for logical, label, description, colour in boxes:
            parts.append(
                f'<g><title>{escape(description)}</title>'
                f'<rect x="{x}" y="{y}" width="{COLUMN_WIDTH}" height="{BOX_HEIGHT - 6}" rx="6" '
                f'fill="{colour}" stroke="#9aa0a6"/>'
                + _text(x + 10, y + 17, f"{label}: {logical}", 12, "bold")
                + _text(x + 10, y + 33, _short(description), 11) + "</g>")
            y += BOX_HEIGHT
        if hidden:
            parts.append(_text(x + 10, y + 14, f"plus {hidden} more (routes, rules, policies, …)", 11))
            y += 24
        frame = (f'<rect x="{x - 10}" y="{TOP - 50}" width="{COLUMN_WIDTH + 20}" height="{y - TOP + 60}" '
                 f'rx="10" fill="none" stroke="#5f6368" stroke-dasharray="4 3"/>')
        columns.append(frame + "".join(parts))
        anchors[stack.layer] = (x - 10, x + COLUMN_WIDTH + 10, TOP - 40)
        height = max(height, y + 20)
    arrows = _arrows(stacks, anchors, height)
    width = 40 + len(stacks) * (COLUMN_WIDTH + GAP) - GAP
    total = height + 30 + 16 * len(arrows)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total:.0f}" '
            f'viewBox="0 0 {width} {total:.0f}" font-family="Helvetica, Arial, sans-serif">'
            '<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto">'
            '<path d="M0,0 L10,4 L0,8 z" fill="#1a73e8"/></marker></defs>'
            f'<rect width="100%" height="100%" fill="white"/>{_text(20, 24, title, 16, "bold")}'
            + "".join(columns) + "".join(arrows) + "</svg>\n")


def _arrows(stacks: list[StackTemplate], anchors: dict[str, Any], height: float) -> list[str]:
    """One arrow per (earlier stack → later stack), labelled with the outputs it passes."""
    arrows = []
    line = height + 10
    for stack in stacks:
        sources: dict[str, list[str]] = {}
        for parameter, (layer, output) in stack.inputs.items():
            sources.setdefault(layer, []).append(output)
        for layer, outputs in sources.items():
            if layer not in anchors:
                continue
            start = anchors[layer][1] - 20
            end = anchors[stack.layer][0] + 20
            label = f"{layer} → {stack.layer}: " + ", ".join(sorted(set(outputs)))
            arrows.append(
                f'<path d="M{start:.0f},{line:.0f} L{end:.0f},{line:.0f}" stroke="#1a73e8" '
                f'fill="none" marker-end="url(#arrow)"/>'
                + _text(start + 4, line - 3, _short(label, 150), 10))
            line += 16
    return arrows

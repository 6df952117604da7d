"""Read-only: what a deploy would change, from CloudFormation change sets that are then deleted."""

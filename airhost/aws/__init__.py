"""The only package that talks to AWS (the only one importing boto3).

Small facades, one per service (``cloudformation``, ``ecs``, ``autoscaling``, ``logs``, ``ssm``,
``rds``, ``secrets``, ``s3``), all calling through one ``AwsSession`` (``session``): it holds the environment's region, retries
throttling, and turns botocore exceptions into the errors of ``airhost.aws.errors``. Waits poll with an
injectable ``Clock``. Nothing here decides what to do: ``plan``, ``deploy`` and ``ops`` do.
"""

from airhost.aws.session import AwsSession, Clock

__all__ = ["AwsSession", "Clock"]

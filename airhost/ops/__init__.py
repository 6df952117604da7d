"""Operating a deployed environment: bootstrap, one-off tasks, scale, status, logs, destroy.

Each module is a few plain functions over an ``AwsEnvironment`` (``environment``), reporting through
a ``Progress`` (``progress``) and returning JSON-able data; the CLI only parses and prints.
"""

"""airhost.yaml: its typed model and its loader."""

from airhost.config.loader import CONFIG_NAME, Project, load_project, parse_yaml, validate_project
from airhost.config.models import Environment, json_schema

__all__ = ["CONFIG_NAME", "Environment", "Project", "json_schema", "load_project", "parse_yaml",
           "validate_project"]

"""Reading airhost.yaml: read → parse (with line numbers) → inherit shared sections → validate.

Every problem found on the way becomes one ``ConfigError`` listing each problem with its field path,
its line where known, and how to fix it. Nothing else in airhost parses the file.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from airhost.config.models import SHARED_SECTIONS, Environment, ProjectFile
from airhost.errors import ConfigError

CONFIG_NAME = "airhost.yaml"

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Project:
    """A loaded project: its folder, its validated environments, and the hash of its file."""

    name: str
    root: Path
    environments: dict[str, Environment]
    config_hash: str

    def environment(self, name: str | None, *, local_default: bool = False) -> Environment:
        """The named environment; without a name, the first local one (or the only one)."""
        if name is None:
            if local_default:
                for env in self.environments.values():
                    if env.is_local:
                        return env
                raise ConfigError(
                    "no environment given: airhost.yaml has no environment with target local",
                    hint="name one: " + ", ".join(self.environments),
                )
            if len(self.environments) == 1:
                return next(iter(self.environments.values()))
            raise ConfigError(
                "no environment given: airhost.yaml has several",
                hint="name one: " + ", ".join(self.environments),
            )
        if name not in self.environments:
            close = difflib.get_close_matches(name, list(self.environments), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(self.environments)
            raise ConfigError(f"environment '{name}' is not in airhost.yaml", hint=hint)
        return self.environments[name]


def find_config(start: Path) -> Path:
    """airhost.yaml in ``start`` (a file or a folder)."""
    path = start if start.suffix in (".yaml", ".yml") else start / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(
            f"no project file at {path}: the file does not exist",
            hint="run 'airhost init' to create one, or pass --config PATH",
        )
    return path


def load_project(path: Path) -> Project:
    """Load and validate the project file at ``path`` (a file or the folder holding it)."""
    path = find_config(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}", hint="check the file's permissions and encoding")
    data, lines = parse_yaml(text, str(path))
    project = validate_project(data, lines, root=path.parent.resolve(), source=str(path), text=text)
    check_files(project, data, lines, str(path))
    return project


def check_files(project: Project, data: dict[str, Any], lines: dict[Path_, int],
                source: str) -> None:
    """The files the environments name exist beside airhost.yaml (a requirements file)."""
    problems: list[str] = []
    for name, env in project.environments.items():
        wanted = env.airflow.requirements
        if not wanted or (project.root / wanted).is_file():
            continue
        own = ("environments", name, "airflow", "requirements")
        loc = own if _has_path(data, own) else ("airflow", "requirements")
        set_here = _has_path(data, loc)
        problem = _at(loc if set_here else ("environments", name), lines,
                      f"airflow.requirements{'' if set_here else ' (default)'} names {wanted}, "
                      f"which does not exist in {project.root}: create it (it may be empty) or "
                      "set airflow.requirements: null")
        if problem not in problems:
            problems.append(problem)
    if problems:
        raise ConfigError(f"{source} is not valid", problems=problems)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML into plain data plus the line of every mapping key; duplicate keys are errors."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ConfigError(f"{source} is empty", hint="run 'airhost init' for a starting point")
        lines: dict[Path_, int] = {}
        data = _construct(loader, node, (), lines, source)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise ConfigError(
            f"{source} is not valid YAML at {where}: {error.problem}",
            hint="fix the syntax there (indentation, a missing colon or quote)",
        ) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{source} is not valid YAML: {error}") from None
    finally:
        loader.dispose()
    return data, lines


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, lines: dict[Path_, int],
               source: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)):
                raise ConfigError(f"{source} line {key_node.start_mark.line + 1}: a key must be a plain value")
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise ConfigError(
                    f"{source} line {key_node.start_mark.line + 1}: duplicate key '{key}' "
                    f"(first at line {lines[path + (key,)]})",
                    hint="keep one of them",
                )
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _construct(loader, value_node, path + (key,), lines, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            items.append(_construct(loader, item, path + (index,), lines, source))
        return items
    return loader.construct_object(node, deep=True)


def merge(base: Any, override: Any) -> Any:
    """Deep-merge ``override`` onto ``base``: mappings merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = copy.deepcopy(base)
        for key, value in override.items():
            merged[key] = merge(merged[key], value) if key in merged else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def validate_project(data: Any, lines: dict[Path_, int], *, root: Path, source: str,
                     text: str = "") -> Project:
    """Validate parsed data into a Project, collecting every problem before raising."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source} must be a mapping with 'project' and 'environments' at the top",
            hint="run 'airhost init' for a starting point",
        )
    problems: list[str] = []
    try:
        top = ProjectFile.model_validate(data)
    except ValidationError as error:
        problems.extend(_describe(error, (), lines, ProjectFile))
        raise ConfigError(f"{source} is not valid", problems=problems) from None

    environments: dict[str, Environment] = {}
    seen: set[str] = set()
    shared = {key: data[key] for key in SHARED_SECTIONS if key in data}
    for name, raw in top.environments.items():
        if not isinstance(raw, dict):
            problems.append(_at(("environments", name), lines, "must be a mapping with at least 'target'"))
            continue
        merged = merge(shared, raw)
        merged.update(name=name, project=top.project)
        for reserved in ("name", "project"):
            if reserved in raw:
                problems.append(_at(("environments", name, reserved), lines,
                                    f"'{reserved}' is set by airhost and cannot be given here"))
        try:
            environments[name] = Environment.model_validate(merged)
        except ValidationError as error:
            for loc, message in _describe_raw(error, Environment):
                own = _has_path(raw, loc)
                full = ("environments", name, *loc) if own or not _has_path(shared, loc) else loc
                text_ = _at(full, lines, message)
                if text_ not in seen:
                    seen.add(text_)
                    problems.append(text_)
    if problems:
        raise ConfigError(f"{source} is not valid", problems=problems)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return Project(name=top.project, root=root, environments=environments, config_hash=digest)


def _has_path(data: Any, loc: Path_) -> bool:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True


def _describe(error: ValidationError, prefix: Path_, lines: dict[Path_, int],
              model: type[BaseModel]) -> list[str]:
    return [_at(prefix + loc, lines, message) for loc, message in _describe_raw(error, model)]


def _describe_raw(error: ValidationError, model: type[BaseModel]) -> list[tuple[Path_, str]]:
    """Each pydantic error as (path, plain message with a fix)."""
    described = []
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"] if not str(part).startswith("function-"))
        kind = item["type"]
        if kind == "extra_forbidden":
            known = _fields_at(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            message = f"unknown key '{loc[-1]}'"
            message += f": did you mean '{close[0]}'?" if close else (
                f" (known: {', '.join(known)})" if known else "")
        elif kind == "missing":
            message = "is required but missing"
        elif kind == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            message = f"'{item.get('input')}' is not allowed: use one of {expected}"
        elif kind == "value_error":
            message = str(item.get("ctx", {}).get("error", item["msg"]))
        else:
            message = f"{item['msg'].lower()} (got {item.get('input')!r})"
        described.append((loc, message))
    return described


def _fields_at(model: type[BaseModel], loc: Path_) -> list[str]:
    """Field names of the model found by walking ``loc`` from ``model``; [] when unknown."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            # a dict of models (e.g. workers.queues.NAME): step through the dict's key
            return []
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [name for name in current.model_fields if name not in ("name", "project")]
    return []


def _model_in(annotation: Any) -> Any:
    for candidate in getattr(annotation, "__args__", ()) or (annotation,):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return annotation


def _at(loc: Path_, lines: dict[Path_, int], message: str) -> str:
    path = ".".join(str(part) for part in loc) or "(top level)"
    line = None
    probe = loc
    while probe and line is None:
        line = lines.get(probe)
        probe = probe[:-1]
    where = f" (line {line})" if line else ""
    return f"{path}{where}: {message}"

"""An MWAA requirements.txt made fit for the Airflow airhost installs.

MWAA's guide has users pin Airflow's constraints file for the environment's version
(``--constraint https://raw.githubusercontent.com/apache/airflow/constraints-2.10.3/...``) and
sometimes Airflow itself. airhost installs the project's Airflow version with its own constraints, so
a constraints file or an ``apache-airflow`` pin of another version is commented out, and said so.
"""

from __future__ import annotations

import re

_CONSTRAINT = re.compile(r"^\s*(-c|--constraint)[\s=]+\S*constraints-(?P<version>\d+\.\d+\.\d+)")
_AIRFLOW_PIN = re.compile(r"^\s*apache-airflow\s*(\[[^\]]*\])?\s*==\s*(?P<version>[\w.]+)", re.IGNORECASE)


def adapt_requirements(text: str, airflow_version: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The requirements with lines for another Airflow commented out; (line number, line, its
    Airflow version) of each."""
    lines, notes = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _CONSTRAINT.match(line) or _AIRFLOW_PIN.match(line)
        if match and match.group("version") != airflow_version:
            lines.append(f"# {line}  # for Airflow {match.group('version')}; this project runs "
                         f"{airflow_version}")
            notes.append((number, line.strip(), match.group("version")))
        else:
            lines.append(line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") or lines else ""), notes

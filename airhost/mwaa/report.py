"""The migration report: every MWAA setting and what it became, what is left to do, AIR3 findings.

Plain data with ``to_json()`` (``--output json`` and ``migration.json``) and a Markdown rendering
(``MIGRATION.md`` beside airhost.yaml). Printing it as a table is the CLI's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from airhost.mwaa.airflow3 import Finding
from airhost.mwaa.translate import ReportRow

REPORT_FILE = "MIGRATION.md"
REPORT_JSON = "migration.json"


@dataclass(frozen=True)
class MigrationReport:
    environment: str
    region: str
    project: str
    directory: str
    source_version: str
    airflow_version: str
    rows: list[ReportRow]
    findings: list[Finding] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # what was written: dags, plugins, ...

    @property
    def to_do(self) -> list[ReportRow]:
        return [row for row in self.rows if row.status in ("manual", "dropped")]

    def to_json(self) -> dict[str, object]:
        return {
            "environment": self.environment, "region": self.region, "project": self.project,
            "directory": self.directory, "source_airflow_version": self.source_version,
            "airflow_version": self.airflow_version, "files": dict(self.files),
            "settings": [row.to_json() for row in self.rows],
            "airflow3_findings": [finding.to_json() for finding in self.findings],
        }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "-"


def to_markdown(report: MigrationReport) -> str:
    out = [f"# Migration from Amazon MWAA: {report.environment} ({report.region})", "",
           f"Imported into the airhost project `{report.project}`: Airflow {report.source_version} on MWAA "
           f"becomes Airflow {report.airflow_version}. `airhost up` runs it locally; `airhost deploy prod` "
           "creates the ECS environment; `airhost cost prod` compares it with this MWAA environment.", "",
           "## Settings", "", "| MWAA setting | value | became | status | why |", "|---|---|---|---|---|"]
    for row in report.rows:
        out.append(f"| {_cell(row.setting)} | {_cell(row.value)} | {_cell(row.became)} | {row.status} | "
                   f"{_cell(row.why)} |")
    manual = [row for row in report.rows if row.status == "manual"]
    if manual:
        out += ["", "## To do by hand", ""]
        out += [f"- **{row.setting}** ({row.value}): {row.why}" for row in manual]
    if report.source_version.startswith("2."):
        out += ["", "## Airflow 2 to 3", ""]
        if report.findings:
            out += [f"ruff's Airflow 3 rules (AIR3) found {len(report.findings)} thing(s) to change before "
                    "the first `airhost up`; those marked fixable change with "
                    "`ruff check --select AIR3 --preview --fix dags plugins`.", "",
                    "| file:line | rule | finding | fixable |", "|---|---|---|---|"]
            out += [f"| {f.path}:{f.line} | {f.code} | {_cell(f.message)} | {'yes' if f.fixable else 'no'} |"
                    for f in report.findings]
        else:
            out.append("ruff's Airflow 3 rules (AIR3) found nothing to change in the DAGs and plugins.")
    if report.files:
        out += ["", "## Files", ""]
        out += [f"- {name}: {count}" for name, count in sorted(report.files.items())]
    return "\n".join(out) + "\n"

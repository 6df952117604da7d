"""How Airflow is installed, the same way for the local virtualenv, the project image and upgrades."""

from airhost.install.constraints import ReleaseConstraints, release_constraints, requirement_names

__all__ = ["ReleaseConstraints", "release_constraints", "requirement_names"]

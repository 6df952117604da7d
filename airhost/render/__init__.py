"""Pure rendering: config (and runtime facts) in, templates and settings out; no I/O, no clock.

The shared stacks (``network``, ``data``, ``access``) serve every cloud target; each target's own
stacks live in its folder (``ecs/``); ``airflow_env`` is the one renderer of Airflow's settings.
"""

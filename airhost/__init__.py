"""airhost: Apache Airflow 3 on your own AWS account, and on your laptop, from one airhost.yaml."""

__version__ = "0.1.0"

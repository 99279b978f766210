"""Airflow DAG of a provider: loads one hour of orders and tells Freshet's source registry when it is complete.

Each run registers the hour [data_interval_start, data_interval_end) of the source as a partition and locks it
(LOCK: being written, do not read), loads the data, and unlocks it (UNLOCK: written). A dynamic table gated with
WITH ('readiness.sources' = 'public.orders') refreshes a window only once every hour in it is unlocked.

Only the Python standard library talks to Freshet (urllib); see README.md for the set-up.
"""
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

try:
    from airflow.sdk import DAG  # Airflow 3
except ImportError:
    from airflow import DAG  # Airflow 2
try:
    from airflow.providers.standard.operators.python import PythonOperator  # Airflow 3
except ImportError:
    from airflow.operators.python import PythonOperator  # Airflow 2

FRESHET_URL = os.environ.get("FRESHET_URL", "http://127.0.0.1:8083").rstrip("/")
SOURCE = os.environ.get("FRESHET_SOURCE", "public.orders")
PROVIDER = "airflow.orders_loader"


def _source_token():
    """The source's access token, shown once by POST /v3/sources. Keep it in a secret, never in this file."""
    token = os.environ.get("FRESHET_SOURCE_TOKEN", "")
    if not token:
        raise RuntimeError("Set FRESHET_SOURCE_TOKEN to the access token of source %s." % SOURCE)
    return token


def _call(method, path, body, token):
    """Sends one JSON request; raises with Freshet's error message on any 4xx or 5xx."""
    request = urllib.request.Request(
        FRESHET_URL + path,
        data=json.dumps(body).encode("utf-8"),
        method=method,
        headers={"content-type": "application/json", "authorization": "Bearer " + token},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")
        raise RuntimeError("%s %s answered %s: %s" % (method, path, error.code, detail)) from None


def _partitions_path(suffix=""):
    return "/v3/sources/%s/partitions%s" % (urllib.parse.quote(SOURCE, safe=""), suffix)


def register_and_lock(start, end):
    """Registers the provider and the hour, locked. Both are idempotent: a re-run of the hour locks it again."""
    token = _source_token()
    _call("POST", "/v3/providers", {"name": PROVIDER, "source": SOURCE}, token)
    _call("POST", _partitions_path(), {"provider": PROVIDER, "start": start, "end": end, "state": "locked"}, token)


def load(start, end):
    """A stand-in for the real load: one INSERT through Freshet's statement API."""
    gateway_token = os.environ.get("FRESHET_TOKEN", "")  # a gateway token with the admin scope, when tokens are on
    statement = "INSERT INTO orders (amount, created_at) VALUES (%d, '%s')" % (42, start.replace("'", ""))
    headers = {"content-type": "application/json"}
    if gateway_token:
        headers["authorization"] = "Bearer " + gateway_token
    request = urllib.request.Request(
        FRESHET_URL + "/v3/statements",
        data=json.dumps({"statement": statement}).encode("utf-8"),
        method="POST",
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")
        raise RuntimeError("the load failed (%s): %s" % (error.code, detail)) from None


def unlock(start, end):
    """Marks the hour written: readiness checks now count it."""
    _call("POST", _partitions_path("/unlock"), {"provider": PROVIDER, "start": start, "end": end}, _source_token())


INTERVAL = {"start": "{{ data_interval_start }}", "end": "{{ data_interval_end }}"}

with DAG(
    dag_id="orders_loader",
    description="Loads orders hour by hour and publishes each hour's readiness to Freshet",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["freshet", "readiness"],
) as dag:
    lock_task = PythonOperator(task_id="register_and_lock", python_callable=register_and_lock, op_kwargs=INTERVAL)
    load_task = PythonOperator(task_id="load", python_callable=load, op_kwargs=INTERVAL)
    unlock_task = PythonOperator(task_id="unlock", python_callable=unlock, op_kwargs=INTERVAL)
    lock_task >> load_task >> unlock_task

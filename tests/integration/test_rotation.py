"""Rotation of the PostgreSQL password of Orthanc's role while the store is in use, for real.

Two real Orthanc replicas share a real PostgreSQL 15 behind a stand-in for the load balancer (a client that
only sends to replicas in rotation, as the load balancer only sends to backends passing their health check).
A bounded client loop keeps storing and querying while the README's procedure runs:

1. the new password becomes the role's password (`ALTER ROLE`, what the first restarted replica's database
   bootstrap does from the new Vault secret version); PostgreSQL checks passwords only when a connection is
   opened, so the replicas' open index connections keep working;
2. replica by replica: out of rotation, restart with the new secret (on OCI: the new Vault secret version, read
   at start by the secret fetcher), back in rotation once healthy.

Zero requests fail, the old password is refused afterwards, and both replicas serve everything stored.

The same loop proves the Orthanc users' password rollover (README, "Rotation runbook"):
Orthanc knows one password per user name, so the client crosses over on a second name, the rollover alias
`<user>+rollover` with the same role, through three rolling restarts (alias in; user's new password; alias out).
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pydicom
import pytest
import requests
from botocore.exceptions import BotoCoreError, ClientError

from bench.dicom_factory import make_study, study_instances
from bench.local_stack import OrthancServer, PostgresServer, require_binaries
from components.ops.recover_object import s3_client
from components.orthanc.orthanc_access import Role
from components.orthanc.orthanc_config import rollover_password_env_var, rollover_user, user_password_env_var
from tests.integration.ops_support import REGION, USER, dicom_bytes, orthanc_on

pytestmark = pytest.mark.integration

MAX_REQUESTS = 5_000  # the client loop is bounded in count...
MAX_SECONDS = 120.0  # ...and in time
PAUSE_SECONDS = 0.02  # between two store+query pairs: steady traffic, not a flood
DB_PASSWORD = "ORTHANC_DB_PASSWORD"


class RotatingClient:
    """Stores and queries round-robin over the replicas in rotation; counts every failure."""

    def __init__(self, replicas: list[OrthancServer], datasets: list[pydicom.Dataset]) -> None:
        self.in_rotation = list(replicas)
        self.lock = threading.Lock()
        self.uploads = itertools.cycle([dicom_bytes(ds) for ds in datasets])
        self.requests = 0
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.auth: tuple[str, str] | None = None
        """The credential the client sends; None: each replica's own (its administrator)."""

    def _next(self) -> tuple[OrthancServer, tuple[str, str]]:
        with self.lock:
            server = self.in_rotation[self.requests % len(self.in_rotation)]
            self.requests += 1
            return server, self.auth or server.auth

    def switch(self, auth: tuple[str, str]) -> None:
        """The client's owner gives it another credential (a request already sent keeps the one it had)."""
        with self.lock:
            self.auth = auth

    def run(self) -> None:
        deadline = time.monotonic() + MAX_SECONDS
        while not self.stop.is_set() and self.requests < MAX_REQUESTS and time.monotonic() < deadline:
            server, auth = self._next()
            try:
                stored = requests.post(f"{server.url}/instances", data=next(self.uploads), auth=auth, timeout=30)
                found = requests.get(f"{server.url}/studies", auth=auth, timeout=30)
                for answer in (stored, found):
                    if answer.status_code != 200:
                        self.failures.append(f"{answer.request.method} {answer.url}: {answer.status_code}")
            except requests.RequestException as error:
                self.failures.append(f"{server.url}: {error}")
            time.sleep(PAUSE_SECONDS)

    def drain(self, server: OrthancServer) -> None:
        """Out of rotation, then wait for a request already sent to it to finish (like LB connection draining)."""
        with self.lock:
            self.in_rotation.remove(server)
        time.sleep(1.0)

    def admit(self, server: OrthancServer) -> None:
        with self.lock:
            self.in_rotation.append(server)


def assert_both_serve(replicas: list[OrthancServer], count: int) -> None:
    """Both replicas list the same `count` instances: everything stored went to the shared index."""
    listed = [set(requests.get(f"{r.url}/instances", auth=r.auth, timeout=30).json()) for r in replicas]
    assert listed[0] == listed[1] and len(listed[0]) == count


def _connect(postgres: PostgresServer, password: str) -> None:
    psycopg.connect(
        host="127.0.0.1", port=postgres.port, dbname=postgres.database, user=postgres.username,
        password=password, sslmode="require",
    ).close()  # fmt: skip


def test_database_password_rotates_with_zero_failed_requests(tmp_path: Path) -> None:
    require_binaries()
    postgres = PostgresServer()
    user_password = secrets.token_urlsafe(24)
    replicas: list[OrthancServer] = []
    datasets = list(study_instances(make_study(7), series_count=1, instances_per_series=4, rows=64, columns=64))
    try:
        postgres.init()
        old_password = postgres.password
        for index in range(2):
            # Each replica reads its own copy of the secrets, as each container/pod fetches its own.
            replica_secrets = {user_password_env_var(USER): user_password, DB_PASSWORD: old_password}
            replica = orthanc_on(postgres, tmp_path / "bucket", tmp_path / f"orthanc{index}", replica_secrets,
                                 replica_index=index, replica_count=2)  # fmt: skip
            replicas.append(replica)
            replica.start()
        client = RotatingClient(replicas, datasets)
        loop = threading.Thread(target=client.run)
        loop.start()
        time.sleep(2.0)  # traffic before the rotation
        # Step 1: the role's new password (on OCI: a new version of the Vault secret, then this statement).
        new_password = secrets.token_urlsafe(24)
        with psycopg.connect(host=str(postgres.socket_dir), port=postgres.port, user="postgres", dbname="postgres",
                             autocommit=True) as admin:  # fmt: skip
            admin.execute(psycopg.sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                psycopg.sql.Identifier(postgres.username), psycopg.sql.Literal(new_password)))  # fmt: skip
        at_rotation = client.requests
        # Step 2: rolling restart onto the new secret, one replica out of rotation at a time.
        for replica in replicas:
            client.drain(replica)
            replica.stop()
            replica.secret_values[DB_PASSWORD] = new_password
            replica.start()  # waits until it answers /system
            client.admit(replica)
            time.sleep(2.0)  # traffic on the restarted replica before the next one goes
        assert loop.is_alive(), "the client loop ended before the rotation did: raise its bounds"
        client.stop.set()
        loop.join(timeout=MAX_SECONDS)
        assert not client.failures, client.failures[:5]
        assert client.requests - at_rotation >= 50, (at_rotation, client.requests)  # traffic all through it
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            _connect(postgres, old_password)
        _connect(postgres, new_password)
        assert_both_serve(replicas, len(datasets))
    finally:
        for replica in replicas:
            replica.stop()
        postgres.destroy()


PIPELINE_USER = "ai-pipeline"  # a restricted role (store + query): the alias must carry it, not more


def test_orthanc_user_password_rolls_over_with_zero_failed_requests(tmp_path: Path) -> None:
    require_binaries()
    postgres = PostgresServer()
    roles = {USER: Role.ADMINISTRATOR, PIPELINE_USER: Role.PIPELINE}
    old, alias_password, new = (secrets.token_urlsafe(24) for _ in range(3))
    replicas: list[OrthancServer] = []
    datasets = list(study_instances(make_study(8), series_count=1, instances_per_series=4, rows=64, columns=64))

    def restart_all(client: RotatingClient, rollover: tuple[str, ...], user_password: str) -> None:
        """A rolling restart onto a new rendering (rollover aliases) and secret version (the user's password)."""
        for index, replica in enumerate(replicas):
            client.drain(replica)
            replica.stop()
            replica.rendered = orthanc_on(postgres, tmp_path / "bucket", tmp_path / f"orthanc{index}", replica.secret_values,
                                          replica_index=index, replica_count=2, user_roles=roles,
                                          rollover_users=rollover, ports=(replica.http_port, replica.dicom_port),
                                          ).rendered  # fmt: skip
            replica.secret_values[user_password_env_var(PIPELINE_USER)] = user_password
            replica.start()
            client.admit(replica)
            time.sleep(2.0)

    def status(auth: tuple[str, str], method: str = "GET", path: str = "/studies") -> set[int]:
        return {requests.request(method, f"{r.url}{path}", auth=auth, timeout=30).status_code for r in replicas}

    try:
        postgres.init()
        for index in range(2):
            replica_secrets = {
                user_password_env_var(USER): secrets.token_urlsafe(24),
                user_password_env_var(PIPELINE_USER): old,
                rollover_password_env_var(PIPELINE_USER): alias_password,  # fetched only while it is rendered
                DB_PASSWORD: postgres.password,
            }
            replica = orthanc_on(postgres, tmp_path / "bucket", tmp_path / f"orthanc{index}", replica_secrets,
                                 replica_index=index, replica_count=2, user_roles=roles)  # fmt: skip
            replicas.append(replica)
            replica.start()
        assert status((rollover_user(PIPELINE_USER), alias_password)) == {401}  # no alias before the rollover
        client = RotatingClient(replicas, datasets)
        client.switch((PIPELINE_USER, old))
        loop = threading.Thread(target=client.run)
        loop.start()
        time.sleep(2.0)
        at_rotation = client.requests
        # Phase 1: the alias in, with its own password (pulumi up after adding the user to the rollover list).
        restart_all(client, (PIPELINE_USER,), old)
        client.switch((rollover_user(PIPELINE_USER), alias_password))
        time.sleep(1.0)  # requests sent with the old password are over
        # The alias is the same user: the pipeline role, not more (a pipeline may never delete).
        assert status((rollover_user(PIPELINE_USER), alias_password), "DELETE", "/studies/none") == {403}
        # Phase 2: the user's new password (new Vault secret version), clients on the alias meanwhile.
        restart_all(client, (PIPELINE_USER,), new)
        client.switch((PIPELINE_USER, new))
        time.sleep(1.0)
        # Phase 3: the alias out (pulumi up after emptying the rollover list).
        restart_all(client, (), new)
        assert loop.is_alive(), "the client loop ended before the rollover did: raise its bounds"
        client.stop.set()
        loop.join(timeout=MAX_SECONDS)
        assert not client.failures, client.failures[:5]
        assert client.requests - at_rotation >= 100, (at_rotation, client.requests)
        assert status((PIPELINE_USER, old)) == {401}
        assert status((rollover_user(PIPELINE_USER), alias_password)) == {401}
        assert status((PIPELINE_USER, new)) == {200}
        assert_both_serve(replicas, len(datasets))
    finally:
        for replica in replicas:
            replica.stop()
        postgres.destroy()


class S3Replica:
    """What an Orthanc replica's S3 plugin does with its credential: one client, built at start from the pair it
    read (components/ops/recover_object.py's s3_client: path-style, SigV4 with the OCI region, like the plugin)."""

    def __init__(self, endpoint: str, key: tuple[str, str]) -> None:
        self.endpoint = endpoint
        self.restart(key)

    def restart(self, key: tuple[str, str]) -> None:
        self.key = key
        self.client = s3_client(self.endpoint, REGION, *key)


def _s3_round_trips(replicas: list[S3Replica], in_rotation: list[S3Replica], stop: threading.Event,
                    counts: dict[str, int], failures: list[str]) -> None:  # fmt: skip
    """The bounded client loop: store an object, read it back, round-robin over the replicas in rotation."""
    deadline = time.monotonic() + MAX_SECONDS
    while not stop.is_set() and counts["requests"] < MAX_REQUESTS and time.monotonic() < deadline:
        replica = in_rotation[counts["requests"] % len(in_rotation)]
        counts["requests"] += 1
        key = f"{secrets.token_hex(16)}.dcm"  # the S3 plugin's flat layout: <attachment uuid>.dcm
        body = secrets.token_bytes(2048)
        try:
            replica.client.put_object(Bucket=S3_BUCKET, Key=key, Body=body)
            if replica.client.get_object(Bucket=S3_BUCKET, Key=key)["Body"].read() != body:
                failures.append(f"{key}: read back differs")
        except (BotoCoreError, ClientError) as error:
            failures.append(f"{replica.key[0]} {key}: {error}")
        time.sleep(PAUSE_SECONDS)


S3_BUCKET = "dicom"
S3_USER = "orthanc-s3"  # the Storage block's IAM user: customer secret keys only, objects of one bucket only
S3_POLICY = {  # the S3 principal's rights in moto's IAM words (OCI: components/storage.py's bucket policy)
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{S3_BUCKET}",
                                                                      f"arn:aws:s3:::{S3_BUCKET}/*"]}],
}  # fmt: skip


def test_s3_customer_secret_key_rolls_with_zero_failed_requests(s3: tuple[str, Any]) -> None:
    """The second key is created, the replicas roll onto it one by one, the first is deleted: no request fails.

    At the S3 API level: Debian's Orthanc has no S3 plugin, so each replica is the client its plugin would be
    (same addressing, signing and region), built at start from the key pair it read, as the plugin reads its
    secret files at start. moto checks every request's SigV4 signature against its IAM users' access keys once
    authentication is on; an OCI customer secret key is exactly such a pair (access key id + secret key, two
    per user).
    """
    endpoint, _ = s3
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION,
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")  # fmt: skip
    # The tenancy administrator (who runs `pulumi up` / the OCI CLI) and the S3 user with its first key.
    iam.create_user(UserName="administrator")
    iam.put_user_policy(UserName="administrator", PolicyName="all",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))  # fmt: skip
    admin_key = iam.create_access_key(UserName="administrator")["AccessKey"]
    iam.create_user(UserName=S3_USER)
    iam.put_user_policy(UserName=S3_USER, PolicyName="bucket", PolicyDocument=json.dumps(S3_POLICY))
    first = iam.create_access_key(UserName=S3_USER)["AccessKey"]
    old_key = (first["AccessKeyId"], first["SecretAccessKey"])
    s3_client(endpoint, REGION, *old_key).create_bucket(
        Bucket=S3_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()  # auth on
    try:
        administrator = boto3.client("iam", endpoint_url=endpoint, region_name=REGION,
                                     aws_access_key_id=admin_key["AccessKeyId"],
                                     aws_secret_access_key=admin_key["SecretAccessKey"])  # fmt: skip
        with pytest.raises(ClientError, match="InvalidAccessKeyId"):  # authentication really is on
            s3_client(endpoint, REGION, "unknown-key-id", "x").list_objects_v2(Bucket=S3_BUCKET)
        replicas = [S3Replica(endpoint, old_key) for _ in range(2)]
        in_rotation = list(replicas)
        stop, counts, failures = threading.Event(), {"requests": 0}, list[str]()
        loop = threading.Thread(target=_s3_round_trips, args=(replicas, in_rotation, stop, counts, failures))
        loop.start()
        time.sleep(2.0)
        at_rotation = counts["requests"]
        # Step 1 (pulumi up): the second key; its pair becomes the new version of the two Vault secrets.
        second = administrator.create_access_key(UserName=S3_USER)["AccessKey"]
        new_key = (second["AccessKeyId"], second["SecretAccessKey"])
        keys = administrator.list_access_keys(UserName=S3_USER)["AccessKeyMetadata"]
        assert {k["AccessKeyId"] for k in keys} == {old_key[0], new_key[0]}  # both valid during the roll
        # Step 2: rolling restart, one replica out of rotation at a time, each reads the new pair at start.
        for replica in replicas:
            in_rotation.remove(replica)
            time.sleep(1.0)  # draining
            replica.restart(new_key)
            in_rotation.append(replica)
            time.sleep(2.0)
        # Step 3 (pulumi up): the first key is deleted, once every replica runs on the second.
        assert {replica.key for replica in replicas} == {new_key}
        administrator.delete_access_key(UserName=S3_USER, AccessKeyId=old_key[0])
        time.sleep(2.0)  # traffic after the deletion
        assert loop.is_alive(), "the client loop ended before the roll did: raise its bounds"
        stop.set()
        loop.join(timeout=MAX_SECONDS)
        assert not failures, failures[:5]
        assert counts["requests"] - at_rotation >= 50, (at_rotation, counts["requests"])
        with pytest.raises(ClientError, match="InvalidAccessKeyId"):
            s3_client(endpoint, REGION, *old_key).list_objects_v2(Bucket=S3_BUCKET)
        pages = s3_client(endpoint, REGION, *new_key).get_paginator("list_objects_v2").paginate(Bucket=S3_BUCKET)
        assert sum(page["KeyCount"] for page in pages) == counts["requests"]  # every object stored is there
    finally:
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()

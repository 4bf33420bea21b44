"""The upstream outputs an OrthancService test is handed (Storage, Database, Security, Network), as literals."""

from __future__ import annotations

import pulumi

from components.config.schema import OrthancConfig
from components.orthanc.orthanc_runtime import OrthancIndex
from components.orthanc.service import OrthancServiceArgs, PlaceOrthanc
from components.scope import TierSubnet, VaultKey
from tests.support import SCOPE

REGION = "eu-frankfurt-1"


def ocid(kind: str, name: str) -> str:
    return f"ocid1.{kind}.oc1.{REGION}.aaaaaaaa{name.replace('-', '')}{'0' * 40}"


COMPARTMENT = ocid("compartment", "app")
LB_SUBNET, LB_NSG = ocid("subnet", "lb"), ocid("networksecuritygroup", "lb")
DB_ADMIN_PASSWORD_SECRET = ocid("vaultsecret", "dbadmin")
BOOTSTRAP_IMAGE = "postgres:15.8-alpine3.20"
S3_SECRET_KEY_SECRET = ocid("vaultsecret", "s3secretkey")
ACCESS_KEY_ID = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"  # what the Storage mock hands over, as a secret
DB_HOST = "10.20.3.17"


def orthanc_service_args(config: OrthancConfig, place: PlaceOrthanc) -> OrthancServiceArgs:
    """The service's arguments in the test stack `dicomstore-test`, with `place` as its runtime."""
    return OrthancServiceArgs(
        config=config,
        scope=SCOPE,
        index=OrthancIndex(
            namespace="axoffline1234",
            bucket_name="dicomstore-test-dicom",
            s3_secret_key_secret_id=S3_SECRET_KEY_SECRET,
            db_host=DB_HOST,
            db_port=5432,
            database_name="orthanc",
            db_username="orthanc",
            db_admin_username="orthanc_admin",
            db_admin_password_secret_id=DB_ADMIN_PASSWORD_SECRET,
            db_bootstrap_image=BOOTSTRAP_IMAGE,
            db_max_connections=100,
        ),
        s3_access_key_id=pulumi.Output.secret(ACCESS_KEY_ID),
        data_compartment_id=ocid("compartment", "data"),
        vault_key=VaultKey(ocid("vault", "stack"), ocid("key", "master")),
        orthanc_dynamic_group_name="dicomstore-test-orthanc",
        app_compartment_id=COMPARTMENT,
        load_balancer_subnet=TierSubnet(LB_SUBNET, LB_NSG),
        log_group_id=ocid("loggroup", "service"),
        place=place,
    )

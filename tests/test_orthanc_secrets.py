"""OrthancSecrets: a Vault-generated password per Orthanc user, no value in the program or the plan."""

from __future__ import annotations

import base64
import json

import pulumi

from components.orthanc.orthanc_secrets import (
    OrthancSecrets,
    OrthancSecretsArgs,
    rollover_secret_name,
    user_secret_name,
)
from components.scope import VaultKey
from offline.provider_outputs import created_state
from offline.redact import is_secret, redact
from tests.support import SCOPE, Recorded, record

REGION = "eu-frankfurt-1"
COMPARTMENT = "ocid1.compartment.oc1.eu-frankfurt-1.aaaaaaaadatacompartment000000000000000000000000000000000"
VAULT = "ocid1.vault.oc1.eu-frankfurt-1.aaaaaaaavault000000000000000000000000000000000000000000000000"
KEY = "ocid1.key.oc1.eu-frankfurt-1.aaaaaaaamasterkey0000000000000000000000000000000000000000000"
ACCESS_KEY_ID = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
SECRET = "oci:Vault/secret:Secret"


def planned(users: tuple[str, ...] = ("admin", "radiologist")) -> Recorded:
    def program() -> None:
        secrets = OrthancSecrets(
            "orthanc-secrets",
            OrthancSecretsArgs(
                users=users,
                db_username="orthanc",
                scope=SCOPE,
                compartment_id=COMPARTMENT,
                vault_key=VaultKey(VAULT, KEY),
                s3_access_key_id=pulumi.Output.secret(ACCESS_KEY_ID),
            ),
        )
        pulumi.export("users", secrets.user_password_secret_ids)
        pulumi.export("rollover", secrets.rollover_password_secret_ids)
        pulumi.export("s3", secrets.s3_access_key_secret_id)
        pulumi.export("db", secrets.db_password_secret_id)

    return record(program)


def test_one_generated_passphrase_per_user_in_the_vault_with_the_master_key() -> None:
    plan = planned()
    users = {r.inputs["secretName"]: r for r in plan.of_type(SECRET) if "enableAutoGeneration" in r.inputs}
    assert set(users) == {
        *(user_secret_name("dicomstore-test", u) for u in ("admin", "radiologist")),
        # Each user's rollover alias password, always there: a protected secret cannot come and go.
        *(rollover_secret_name("dicomstore-test", u) for u in ("admin", "radiologist")),
        "dicomstore-test-orthanc-db-password",  # the password of Orthanc's PostgreSQL role
    }
    for secret in users.values():
        assert secret.inputs["enableAutoGeneration"] is True
        assert secret.inputs["secretGenerationContext"] == {
            "generationType": "PASSPHRASE",
            "generationTemplate": "SECRETS_DEFAULT_PASSWORD",
            "passphraseLength": 32,  # far above NIST SP 800-63B's 8-character floor
        }
        assert "secretContent" not in secret.inputs
        assert (secret.inputs["vaultId"], secret.inputs["keyId"], secret.inputs["compartmentId"]) == (
            VAULT,
            KEY,
            COMPARTMENT,
        )


def test_every_secret_is_protected_and_retained() -> None:
    secrets = planned().of_type(SECRET)
    assert len(secrets) == 6  # 2 users, their 2 rollover aliases, the database role, the S3 access key id
    assert all(secret.protect and secret.retain_on_delete for secret in secrets)


def test_outputs_map_each_user_to_its_secret_ocid() -> None:
    plan = planned()
    by_name = {r.inputs["secretName"]: created_state(r.type, r.name, r.inputs, REGION)[0] for r in plan.of_type(SECRET)}
    assert plan.outputs["users"] == {
        "admin": by_name[user_secret_name("dicomstore-test", "admin")],
        "radiologist": by_name[user_secret_name("dicomstore-test", "radiologist")],
    }
    assert plan.outputs["rollover"] == {
        "admin": by_name["dicomstore-test-orthanc-rollover-admin-password"],
        "radiologist": by_name["dicomstore-test-orthanc-rollover-radiologist-password"],
    }
    assert plan.outputs["db"] == by_name["dicomstore-test-orthanc-db-password"]


def test_s3_access_key_is_stored_as_a_secret_input_and_nowhere_in_clear() -> None:
    plan = planned()
    (s3,) = [r for r in plan.of_type(SECRET) if "secretContent" in r.inputs]
    encoded = base64.b64encode(ACCESS_KEY_ID.encode()).decode()
    content = s3.inputs["secretContent"]
    assert content["contentType"] == "BASE64"
    assert is_secret(content["content"]) and content["content"]["value"] == encoded
    in_clear = json.dumps([redact(r.inputs) for r in plan])
    assert ACCESS_KEY_ID not in in_clear and encoded not in in_clear

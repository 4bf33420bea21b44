"""Orthanc's own secrets in OCI Vault: one generated password per Orthanc user and one for its rollover alias
(`<user>+rollover`, used only while `orthanc.passwordRollover` lists the user), the generated password of its
PostgreSQL role, and the S3 access key id.

Used by both runtimes (Container Instances and OKE): they receive secret OCIDs, never values.

Design choices:
- Vault generates the passwords (`enable_auto_generation` with a PASSPHRASE `secret_generation_context`), so no
  password ever exists in the program, the stack config, the Pulumi state or the plan: Pulumi only records the
  secret's OCID. The SECRETS_DEFAULT_PASSWORD template mixes upper/lower case, digits and symbols; the runtime
  JSON-escapes the value before Orthanc substitutes it (see components/orthanc/orthanc_config.py).
- Orthanc's PostgreSQL role is its own, not the DB administrator (components/data/database_bootstrap.py creates it
  at first start and sets its password from this secret, so Orthanc and the database always agree).
- The S3 access key id of the Customer Secret Key is not a secret by OCI's definition, but it arrives as a
  `pulumi.secret` and a container definition is readable by anyone with `read container-instances`; keeping
  it in Vault next to the passwords lets the runtime fetch all of Orthanc's credentials the same way.
- Secrets are encrypted with the stack's HSM master key, and `protect` + `retain_on_delete`: deleting a stack
  must not lock users out of an archive that outlives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.scope import StackScope, VaultKey
from components.security.vault_secrets import generated_secret, stored_secret

PASSWORD_LENGTH = 32  # well above NIST SP 800-63B's 8-character floor; humans use a password manager
PASSWORD_GENERATION = oci.vault.SecretSecretGenerationContextArgs(
    generation_type="PASSPHRASE",
    generation_template="SECRETS_DEFAULT_PASSWORD",
    passphrase_length=PASSWORD_LENGTH,
)


def user_secret_name(prefix: str, user: str) -> str:
    """The Vault secret name of `user`'s password (secret names are unique per vault)."""
    return f"{prefix}-orthanc-user-{user}-password"


def rollover_secret_name(prefix: str, user: str) -> str:
    """The Vault secret name of the password of `user`'s rollover alias (`<user>+rollover`); `orthanc-rollover-`
    never starts a user's secret name (`orthanc-user-`), whatever the user names."""
    return f"{prefix}-orthanc-rollover-{user}-password"


@dataclass(frozen=True)
class OrthancSecretsArgs:
    users: Sequence[str]
    """Orthanc users (`orthanc.users`); each gets a generated password."""
    db_username: str
    """Orthanc's PostgreSQL role (`database.orthancUsername`); gets a generated password."""
    scope: StackScope
    """The stack's naming: the secret names, unique per vault, carry its prefix."""
    compartment_id: pulumi.Input[str]
    """Compartment of the secrets (the data compartment, next to the vault)."""
    vault_key: VaultKey
    """The stack's vault and the HSM master key that encrypts the secrets (Security block)."""
    s3_access_key_id: pulumi.Input[str]
    """The Customer Secret Key's access key id (Storage block)."""


class OrthancSecrets(pulumi.ComponentResource):
    """Vault-generated passwords per Orthanc user and for its PostgreSQL role, and the S3 access key id."""

    user_password_secret_ids: dict[str, pulumi.Output[str]]
    rollover_password_secret_ids: dict[str, pulumi.Output[str]]
    """Per user, always: a secret that exists only while a rollover lists it could not be removed afterwards
    (protected); its content is used only while the user is in `orthanc.passwordRollover`."""
    db_password_secret_id: pulumi.Output[str]
    s3_access_key_secret_id: pulumi.Output[str]

    def __init__(self, name: str, args: OrthancSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:orthanc_secrets:OrthancSecrets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)  # vault_secrets protects and retains every secret
        prefix = args.scope.name_prefix

        def generated_password(resource_name: str, secret_name: str, description: str) -> pulumi.Output[str]:
            return generated_secret(
                resource_name,
                compartment_id=args.compartment_id,
                vault_key=args.vault_key,
                secret_name=secret_name,
                description=description,
                generation=PASSWORD_GENERATION,
                opts=child,
            ).id

        self.user_password_secret_ids = {
            user: generated_password(
                f"{name}-user-{user}", user_secret_name(prefix, user), f"Password of Orthanc user {user}"
            )
            for user in args.users
        }
        self.rollover_password_secret_ids = {
            user: generated_password(
                f"{name}-rollover-{user}",
                rollover_secret_name(prefix, user),
                f"Password of {user}+rollover, Orthanc user {user} during a password rollover",
            )
            for user in args.users
        }
        self.db_password_secret_id = generated_password(
            f"{name}-db-password",
            f"{prefix}-orthanc-db-password",
            f"Password of Orthanc's PostgreSQL role {args.db_username}",
        )
        self.s3_access_key_secret_id = stored_secret(
            f"{name}-s3-access-key",
            compartment_id=args.compartment_id,
            vault_key=args.vault_key,
            secret_name=f"{prefix}-orthanc-s3-access-key",
            description="Access key id of Orthanc's Object Storage Customer Secret Key",
            value=args.s3_access_key_id,
            opts=child,
        ).id
        self.register_outputs(
            {
                "user_password_secret_ids": self.user_password_secret_ids,
                "rollover_password_secret_ids": self.rollover_password_secret_ids,
                "db_password_secret_id": self.db_password_secret_id,
                "s3_access_key_secret_id": self.s3_access_key_secret_id,
            }
        )

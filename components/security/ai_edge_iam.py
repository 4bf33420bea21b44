"""IAM statements of the AI and edge blocks, as plain data (unit-tested without a Pulumi runtime).

Same conventions as `components/security/iam_statements.py`: compartments by OCID, every grant names its target
(`target.bucket.name`, `target.key.id`), no `manage all-resources`, no `any-user`.

Resource types as OCI's references spell them: `data-science-family` ("Data Science Policies",
https://docs.oracle.com/en-us/iaas/data-science/using/policies.htm); `rover-family` and `rover-nodes` for operators,
`read object-family` and `manage objectstorage-namespaces` for the `rover` service ("Policies for Managing Roving
Edge Infrastructure", https://docs.oracle.com/en-us/iaas/Content/Rover/Getting_Started/setting_policies.htm).

AI: one dynamic group per Data Science principal type (notebook sessions, job runs, model deployments), each
matching that type in the AI compartment only — OCI matching rules are flat, and separate groups let each
type get only what it needs:

* notebooks and job runs read the DICOM bucket (never write it) and may use the one master key through Vault's
  Encrypt/Decrypt API (`use keys` on that key: no rotation, no deletion, no other key) for results they export;
* job runs also pull their bring-your-own-container image from OCIR in the AI compartment and write their logs;
* model deployments only write their access/predict logs;
* the Data Science service may place notebook/job/deployment VNICs in the network compartment's AI subnet;
* data scientists (a group) manage Data Science resources in the AI compartment and read its logs — nothing in
  the data compartment, where PHI lives; their notebooks reach the images through the notebook's identity.

Edge (Roving Edge Infrastructure; docs "Policies for Managing Roving Edge Infrastructure"):

* RED operators manage `rover-family` / `rover-nodes` in the app compartment and may see the edge-transfer
  bucket to attach it as a workload when ordering a device;
* the `rover` service reads the edge-transfer bucket (to build the device's sync manifest) and, as Oracle's
  docs require, manages object-storage namespaces (tenancy-wide, there is no narrower form). That statement
  says `in tenancy`, so it lives in its own policy attached to the tenancy: a policy attached to a child
  compartment may only grant in that compartment's subtree (`iam_statements.misplaced_statements`);
* devices sync with OCI as IAM users (one per device, API keys only), members of one sync group that may use
  objects of the edge-transfer bucket only: the device's data-sync tasks sign requests with credentials
  configured on the device, and a user per device can be revoked alone.
"""

from __future__ import annotations

from dataclasses import dataclass

# Resource-principal types of Data Science (docs: "Data Science Policies", dynamic groups).
NOTEBOOK_PRINCIPAL = "datasciencenotebooksession"
JOB_RUN_PRINCIPAL = "datasciencejobrun"
MODEL_DEPLOYMENT_PRINCIPAL = "datasciencemodeldeployment"


@dataclass(frozen=True)
class AiPrincipals:
    """Names of the AI block's principals."""

    notebooks: str
    job_runs: str
    model_deployments: str
    data_scientists: str


@dataclass(frozen=True)
class AiScope:
    """What the AI principals may reach, as OCIDs and names."""

    ai_compartment_id: str
    data_compartment_id: str
    network_compartment_id: str
    bucket_name: str
    key_id: str


def ai_statements(principals: AiPrincipals, scope: AiScope) -> list[str]:
    """Least-privilege grants of the AI block (see the module docstring)."""
    in_data = f"in compartment id {scope.data_compartment_id}"
    in_ai = f"in compartment id {scope.ai_compartment_id}"
    in_bucket = f"{in_data} where target.bucket.name = '{scope.bucket_name}'"
    statements: list[str] = []
    for group in (principals.notebooks, principals.job_runs):
        statements += [
            f"Allow dynamic-group {group} to read buckets {in_bucket}",
            f"Allow dynamic-group {group} to read objects {in_bucket}",
            f"Allow dynamic-group {group} to use keys {in_data} where target.key.id = '{scope.key_id}'",
        ]
    statements += [
        f"Allow dynamic-group {principals.job_runs} to read repos {in_ai}",
        f"Allow dynamic-group {principals.job_runs} to use log-content {in_ai}",
        f"Allow dynamic-group {principals.model_deployments} to use log-content {in_ai}",
        f"Allow service datascience to use virtual-network-family in compartment id {scope.network_compartment_id}",
        f"Allow group {principals.data_scientists} to manage data-science-family {in_ai}",
        f"Allow group {principals.data_scientists} to read log-groups {in_ai}",
        f"Allow group {principals.data_scientists} to read log-content {in_ai}",
    ]
    return statements


@dataclass(frozen=True)
class EdgeScope:
    """Who operates the devices and what they reach."""

    operators_group_id: str
    """The operators group, named by OCID like the storage block's groups (robust to renames, identity domains)."""
    app_compartment_id: str
    data_compartment_id: str
    transfer_bucket_name: str


# The namespace is tenancy-wide: this statement must sit in a policy attached to the tenancy (root).
ROVER_NAMESPACE_STATEMENT = "Allow service rover to manage objectstorage-namespaces in tenancy"


def edge_statements(scope: EdgeScope) -> list[str]:
    """Grants of RED operators and of the Roving Edge service on the edge-transfer bucket (all in the stack's
    compartments; the tenancy-wide `ROVER_NAMESPACE_STATEMENT` goes to a policy at the root)."""
    in_app = f"in compartment id {scope.app_compartment_id}"
    in_bucket = (
        f"in compartment id {scope.data_compartment_id} where target.bucket.name = '{scope.transfer_bucket_name}'"
    )
    return [
        f"Allow group id {scope.operators_group_id} to manage rover-family {in_app}",
        f"Allow group id {scope.operators_group_id} to manage rover-nodes {in_app}",
        f"Allow group id {scope.operators_group_id} to read buckets {in_bucket}",
        f"Allow service rover to read object-family {in_bucket}",
    ]

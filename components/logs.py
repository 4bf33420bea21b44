"""The stack's logs in OCI Logging, one definition each, for every block that keeps logs.

* Service logs (`service_log`): an OCI service's log of one resource, e.g. a bucket's reads and writes, a load
  balancer's access and errors, a subnet's flow log.
* Custom logs (`custom_log`): what a workload writes itself (Data Science job runs, containers), kept
  `LOG_RETENTION_DAYS`.

A module of its own, beside `scope.py`, so the blocks that keep logs (network, data, Orthanc, AI, ops) do not
depend on one another for it.
"""

from __future__ import annotations

import pulumi
import pulumi_oci as oci

LOG_RETENTION_DAYS = 90  # OCI Logging keeps 30-180 days in 30-day steps; as the load balancer's logs


def service_log(
    resource_name: str,
    *,
    display_name: pulumi.Input[str],
    log_group_id: pulumi.Input[str],
    compartment_id: pulumi.Input[str],
    service: str,
    category: str,
    resource: pulumi.Input[str],
    retention_days: int,
    opts: pulumi.ResourceOptions,
) -> oci.logging.Log:
    """The `category` log of OCI service `service` for one `resource` (e.g. objectstorage/write of a bucket),
    enabled and kept `retention_days`; `compartment_id` is the resource's."""
    return oci.logging.Log(
        resource_name,
        display_name=display_name,
        log_group_id=log_group_id,
        log_type="SERVICE",
        configuration=oci.logging.LogConfigurationArgs(
            compartment_id=compartment_id,
            source=oci.logging.LogConfigurationSourceArgs(
                category=category, resource=resource, service=service, source_type="OCISERVICE"
            ),
        ),
        is_enabled=True,
        retention_duration=retention_days,
        opts=opts,
    )


def custom_log(
    resource_name: str, *, display_name: str, log_group_id: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> oci.logging.Log:
    """An enabled custom log (a workload writes it, not an OCI service), kept `LOG_RETENTION_DAYS`."""
    return oci.logging.Log(
        resource_name,
        display_name=display_name,
        log_group_id=log_group_id,
        log_type="CUSTOM",
        is_enabled=True,
        retention_duration=LOG_RETENTION_DAYS,
        opts=opts,
    )

"""The container logs of Orthanc and its helper containers in OCI Logging, per runtime (service and custom logs of
every block are defined once in components/logs.py).

* OKE: the kubelet writes every container's stdout/stderr to /var/log/containers/<pod>_<namespace>_<container>-
  <id>.log on the worker. The Oracle Cloud Agent's Custom Logs Monitoring plugin (the Unified Monitoring Agent)
  tails them when a Unified Agent configuration names those paths and a dynamic group of the workers
  (docs.oracle.com/iaas/Content/Logging/Concepts/agent_management.htm; pulumi-oci
  `oci.logging.UnifiedAgentConfiguration`). Only the DICOM store's namespace is tailed: Orthanc, the secret
  fetcher and the database bootstrap init containers, the inference server. Lines are kept as written (parser
  NONE: the CRI prefix `<time> <stream> <flag>` stays in each line); Orthanc logs with DeidentifyLogs on.
* Container Instances: the service keeps only the last 256 KB per container, read with RetrieveLogs
  (`oci container-instances container retrieve-logs --container-id ... [--is-previous]`); it does not ship
  container output to OCI Logging, and pulumi-oci 5.5 has no setting for it. See the README.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.identity.identity import iam_policy
from components.logs import custom_log
from components.scope import StackScope
from components.security.iam_statements import log_content_statement


@dataclass(frozen=True)
class OkeContainerLogsArgs:
    scope: StackScope
    """Prefix of tenancy-unique names; the tenancy (dynamic groups live there); the parent compartment (home of
    the stack's IAM policies)."""
    workers_compartment_id: pulumi.Input[str]
    """The app compartment: the OKE worker nodes."""
    log_group_id: pulumi.Input[str]
    """The service log group (Security block)."""
    log_compartment_id: pulumi.Input[str]
    """The log group's compartment (the data compartment)."""
    kubernetes_namespace: str
    """Only this namespace's container logs are collected."""


def container_log_paths(kubernetes_namespace: str) -> list[str]:
    """The kubelet's log files of every container of one namespace."""
    return [f"/var/log/containers/*_{kubernetes_namespace}_*.log"]


def worker_rule(compartment_id: str) -> str:
    """Dynamic-group matching rule: every instance of the workers' compartment (the node pools' nodes)."""
    return f"ALL {{instance.compartment.id = '{compartment_id}'}}"


class OkeContainerLogs(pulumi.ComponentResource):
    """A custom log and the Unified Agent configuration that fills it from the OKE workers."""

    log_id: pulumi.Output[str]

    def __init__(self, name: str, args: OkeContainerLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:ops:OkeContainerLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        workers = oci.identity.DynamicGroup(
            f"{name}-workers",
            compartment_id=args.scope.tenancy_id,
            name=f"{args.scope.name_prefix}-oke-log-agents",
            description="DICOM store: OKE workers whose agent ships container logs",
            matching_rule=pulumi.Output.from_input(args.workers_compartment_id).apply(worker_rule),
            opts=child,
        )
        grant = iam_policy(
            f"{name}-policy",
            compartment_id=args.scope.parent_compartment_id,
            name=f"{args.scope.name_prefix}-oke-log-agents",
            description="DICOM store: OKE workers' agents write container logs to the service log group",
            statements=pulumi.Output.all(workers.name, args.log_compartment_id).apply(
                lambda v: [log_content_statement(v[0], v[1])]
            ),
            descendants=[args.log_compartment_id],
            opts=child,
        )
        log = custom_log(
            f"{name}-log",
            display_name=f"{args.scope.name_prefix}-containers",
            log_group_id=args.log_group_id,
            opts=child,
        )
        oci.logging.UnifiedAgentConfiguration(
            f"{name}-agent",
            compartment_id=args.workers_compartment_id,
            display_name=f"{args.scope.name_prefix}-containers",
            description=f"Container logs of the {args.kubernetes_namespace} namespace to OCI Logging",
            is_enabled=True,
            service_configuration=oci.logging.UnifiedAgentConfigurationServiceConfigurationArgs(
                configuration_type="LOGGING",
                sources=[
                    oci.logging.UnifiedAgentConfigurationServiceConfigurationSourceArgs(
                        source_type="LOG_TAIL",
                        name="containers",
                        paths=container_log_paths(args.kubernetes_namespace),
                        parser=oci.logging.UnifiedAgentConfigurationServiceConfigurationSourceParserArgs(
                            parser_type="NONE"
                        ),
                    )
                ],
                destination=oci.logging.UnifiedAgentConfigurationServiceConfigurationDestinationArgs(
                    log_object_id=log.id
                ),
            ),
            group_association=oci.logging.UnifiedAgentConfigurationGroupAssociationArgs(group_lists=[workers.id]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]),
        )
        self.log_id = log.id
        self.register_outputs({"log_id": self.log_id})

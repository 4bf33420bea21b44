"""Operations block: who is told when the DICOM store is unwell or overspends.

Design choices:
* One Notifications topic for operations in the app compartment, with the `ops.notificationEmails`
  subscriptions (falling back to `security.notificationEmails`). It is not the security topic: that one lives
  in Cloud Guard's reporting region and pages the security team; Cloud Guard problems already reach it through
  the Security block's Events rule.
* One `oci.monitoring.Alarm` per entry of `components/ops/alarms.py`, in the app compartment, evaluating the
  compartment that holds the metric's resources. Notifications are ONS_OPTIMIZED with the severity and a runbook
  line in the body; critical alarms repeat every four hours while they fire.
* Database backups: OCI PostgreSQL emits `com.oraclecloud.postgresql.createbackup.end` when a backup finishes
  (docs.oracle.com/iaas/Content/postgresql/events.htm, "A database backup is created"). The page shows no
  failure field to filter on, so every backup end is delivered: the daily mail is the proof a backup ran, and
  its absence or a FAILED state in it is the alert (a filter on an undocumented field could stay silent).
* A monthly budget on the stack's compartments with forecast and actual rules at 80 % and 100 %
  (`components/ops/budget.py`). Budgets live in the tenancy (root) compartment (docs: "Budgets Overview").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_oci as oci

from components.config.schema import OpsConfig
from components.identity.identity import iam_policy
from components.ops.alarms import AlarmSpec, AlarmTargets, MetricCompartment, Severity, alarm_specs
from components.ops.budget import budget_rules
from components.scope import StackScope
from components.security import iam_statements

PENDING_DURATION = "PT5M"  # a condition must hold five minutes before paging: no flapping on one bad minute
REPEAT_CRITICAL = "PT4H"  # a firing critical alarm is repeated until someone acts
MESSAGE_FORMAT = "ONS_OPTIMIZED"
BACKUP_EVENTS = ("com.oraclecloud.postgresql.createbackup.end",)


@dataclass(frozen=True)
class OperationsArgs:
    config: OpsConfig
    """The `ops` config section."""
    scope: StackScope
    """Prefix of tenancy-unique names (e.g. `dicomstore-prod`); the tenancy (budgets live in its root
    compartment); the parent compartment (home of the stack's IAM policies, the budget's target)."""
    emails: Sequence[str]
    """Subscriptions of the operations topic."""
    compartment_ids: dict[MetricCompartment, pulumi.Input[str]]
    """The app, data and network compartments: where the alarms look for each metric."""
    db_system_id: pulumi.Input[str]
    """The DB system Orthanc uses (the restored one after a restore)."""
    db_max_connections: int
    """max_connections of that DB system's configuration."""
    bucket_id: pulumi.Input[str]
    """The DICOM bucket's OCID."""
    container_instances: bool
    """Orthanc runs on Container Instances (adds the memory alarm)."""
    virtual_circuit_id: pulumi.Input[str] | None
    """The FastConnect virtual circuit, if any."""
    ipsec: bool
    """The IPSec backup exists."""


class Operations(pulumi.ComponentResource):
    """Operations topic, alarms, backup notifications and budget of the DICOM store."""

    topic_id: pulumi.Output[str]
    alarm_ids: dict[str, pulumi.Output[str]]
    budget_id: pulumi.Output[str]

    def __init__(self, name: str, args: OperationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:ops:Operations", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        app_compartment_id = args.compartment_ids[MetricCompartment.APP]
        topic = oci.ons.NotificationTopic(
            f"{name}-topic",
            compartment_id=app_compartment_id,
            name=f"{args.scope.name_prefix}-operations",
            description="DICOM store: alarms, database backups and budget",
            opts=child,
        )
        for index, email in enumerate(args.emails):
            oci.ons.Subscription(
                f"{name}-email-{index}",
                compartment_id=app_compartment_id,
                topic_id=topic.id,
                protocol="EMAIL",
                endpoint=email,
                opts=pulumi.ResourceOptions(parent=topic),
            )
        self.topic_id = topic.id
        self.alarm_ids = self._alarms(topic.id)
        self._backup_events(topic.id)
        self.budget_id = self._budget()
        self.register_outputs({"topic_id": self.topic_id, "alarm_ids": self.alarm_ids, "budget_id": self.budget_id})

    def _alarms(self, topic_id: pulumi.Output[str]) -> dict[str, pulumi.Output[str]]:
        args = self._args

        def specs(db_system_id: str, bucket_id: str, virtual_circuit_id: str | None) -> list[AlarmSpec]:
            targets = AlarmTargets(
                db_system_id, bucket_id, args.db_max_connections, args.container_instances, virtual_circuit_id,
                args.ipsec,
            )  # fmt: skip
            return alarm_specs(args.config, targets)

        # Which alarms exist depends only on config; their queries also name resource OCIDs known after create.
        catalogue = specs("", "", "" if args.virtual_circuit_id is not None else None)
        resolved = pulumi.Output.all(args.db_system_id, args.bucket_id, args.virtual_circuit_id).apply(
            lambda ids: specs(str(ids[0]), str(ids[1]), None if ids[2] is None else str(ids[2]))
        )
        alarm_ids = {}

        def query(at: int) -> pulumi.Output[str]:
            return resolved.apply(lambda all_specs: all_specs[at].query)

        for index, spec in enumerate(catalogue):
            alarm = oci.monitoring.Alarm(
                f"{self._name}-{spec.role}",
                compartment_id=args.compartment_ids[MetricCompartment.APP],
                metric_compartment_id=args.compartment_ids[spec.metric_compartment],
                display_name=f"{args.scope.name_prefix}-{spec.role}",
                namespace=spec.namespace,
                query=query(index),
                severity=spec.severity.value,
                body=spec.body,
                destinations=[topic_id],
                is_enabled=True,
                message_format=MESSAGE_FORMAT,
                pending_duration=PENDING_DURATION,
                repeat_notification_duration=REPEAT_CRITICAL if spec.severity is Severity.CRITICAL else None,
                opts=pulumi.ResourceOptions(parent=self),
            )
            alarm_ids[spec.role] = alarm.id
        return alarm_ids

    def _backup_events(self, topic_id: pulumi.Output[str]) -> None:
        args = self._args
        data_compartment_id = args.compartment_ids[MetricCompartment.DATA]
        grant = iam_policy(
            f"{self._name}-events-policy",
            compartment_id=args.scope.parent_compartment_id,
            name=f"{args.scope.name_prefix}-ops-events",
            description="DICOM store: the Events service publishes database backup events to the operations topic",
            statements=pulumi.Output.from_input(args.compartment_ids[MetricCompartment.APP]).apply(
                iam_statements.notification_statements
            ),
            descendants=[args.compartment_ids[MetricCompartment.APP]],
            opts=pulumi.ResourceOptions(parent=self),
        )
        oci.events.Rule(
            f"{self._name}-database-backups",
            compartment_id=data_compartment_id,
            display_name=f"{args.scope.name_prefix}-database-backups",
            description="Every finished PostgreSQL backup of the DICOM store, to the operations topic",
            is_enabled=True,
            condition=json.dumps({"eventType": list(BACKUP_EVENTS)}),
            actions=oci.events.RuleActionsArgs(
                action=[oci.events.RuleActionsActionArgs(action_type="ONS", is_enabled=True, topic_id=topic_id)]
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[grant]),
        )

    def _budget(self) -> pulumi.Output[str]:
        args = self._args
        amount = args.config.monthly_budget_usd
        budget = oci.budget.Budget(
            f"{self._name}-budget",
            compartment_id=args.scope.tenancy_id,
            display_name=f"{args.scope.name_prefix}-monthly",
            description="DICOM store: monthly spend of the stack's compartments",
            amount=amount,
            reset_period="MONTHLY",
            processing_period_type="MONTH",
            target_type="COMPARTMENT",
            # OCI takes exactly one target per budget (oci_budget_budget: "the array should contain EXACT ONE
            # item"); a compartment budget covers its subcompartments, so the parent holds the whole stack.
            targets=[args.scope.parent_compartment_id],
            opts=pulumi.ResourceOptions(parent=self),
        )
        for rule in budget_rules():
            oci.budget.Rule(
                f"{self._name}-budget-{rule.name}",
                budget_id=budget.id,
                display_name=f"{args.scope.name_prefix}-{rule.name}",
                type=rule.kind,
                threshold=rule.percent,
                threshold_type="PERCENTAGE",
                recipients=", ".join(args.emails),
                message=rule.message(amount),
                opts=pulumi.ResourceOptions(parent=budget),
            )
        return budget.id

"""AI block: OCI Data Science next to the DICOM archive — a notebook for exploration, a GPU training job, an
optional private model deployment — all in the AI compartment and the private AI subnet.

Design choices:
* Nothing is reachable from the internet. The notebook session and the model deployment get their VNICs in
  the AI subnet and are reached through Data Science private endpoints that carry the AI NSG (the notebook
  session API itself takes no NSG); job runs use the same subnet ("custom networking", egress through the
  VCN's NAT and service gateways, never the Data Science managed egress).
* The notebook uses the updatable `notebook_session_configuration_details` (shape and block volume can change
  without re-creating the session); flex shapes get their OCPUs and memory from config.
* Training runs bring their own container from OCIR (`ocir.<region>.oci.oraclecloud.com/<namespace>/<repo>:<tag>`,
  pinned), on the GPU shape from config, with a hard maximum runtime so a stuck GPU run cannot bill forever.
  The job definition is created here; runs are started by data scientists or a pipeline. Runs reach the
  bucket with their resource principal (injected by Data Science): no key or token is in the job definition.
* The model deployment is optional (`ai.modelDeploymentEnabled`) and deploys a catalog model by OCID: models
  come out of training runs, so they are registered by the training pipeline, not by this program.
* IAM is least privilege (see `components/security/ai_edge_iam.py`): a dynamic group per Data Science principal type,
  read-only access to the one DICOM bucket, `use` of the one master key, logs only in the AI compartment.
* Logs: a log group in the AI compartment (not the shared service-log group in the data compartment, which
  also holds the bucket's access logs: job runs may write their own logs but must not read those); job-run,
  access and predict logs are explicit custom logs in it, with a retention, rather than auto-created ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_oci as oci
from pulumi_oci.datascience import (
    NotebookSessionNotebookSessionConfigurationDetailsNotebookSessionShapeConfigDetailsArgs as NotebookShape,
)

from components.config.schema import AiConfig
from components.identity.identity import iam_policy
from components.logs import custom_log
from components.scope import StackScope, TierSubnet
from components.security import ai_edge_iam, iam_statements


def is_flex(shape: str) -> bool:
    """Flexible shapes take OCPUs and memory; fixed (e.g. GPU) shapes must not."""
    return shape.endswith(".Flex")


def ocir_image(region: str, namespace: str, repository: str, tag: str) -> str:
    """The OCIR address of a pinned image in the tenancy's namespace."""
    return f"ocir.{region}.oci.oraclecloud.com/{namespace}/{repository}:{tag}"


@dataclass(frozen=True)
class AiArgs:
    config: AiConfig
    """The `ai` config section."""
    scope: StackScope
    """Prefix of the tenancy-unique dynamic group, group and policy names; the region (OCIR address of the training
    image); the tenancy (dynamic groups and groups live there); the parent compartment, which holds the policy
    as the common parent of the AI, data and network compartments."""
    compartment_id: pulumi.Input[str]
    """The AI compartment: the project, notebook, jobs, model deployment and their logs go there."""
    subnet: TierSubnet
    """The ai tier: the private AI subnet and the AI NSG."""
    data_compartment_id: pulumi.Input[str]
    """Where the DICOM bucket and the master key live."""
    network_compartment_id: pulumi.Input[str]
    """Where the AI subnet lives (Data Science places VNICs there)."""
    namespace: pulumi.Input[str]
    """Object Storage namespace (also the OCIR namespace)."""
    bucket_name: pulumi.Input[str]
    """The DICOM bucket training reads."""
    master_key_id: pulumi.Input[str]
    """The HSM master key."""


class Ai(pulumi.ComponentResource):
    """Data Science project, private notebook, GPU training job, optional private model deployment."""

    project_id: pulumi.Output[str]
    notebook_session_id: pulumi.Output[str]
    training_job_id: pulumi.Output[str]
    model_deployment_id: pulumi.Output[str] | None
    log_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: AiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:ai:Ai", name, None, opts)
        config = args.config
        child = pulumi.ResourceOptions(parent=self)

        principals = ai_edge_iam.AiPrincipals(
            notebooks=f"{args.scope.name_prefix}-ai-notebooks",
            job_runs=f"{args.scope.name_prefix}-ai-job-runs",
            model_deployments=f"{args.scope.name_prefix}-ai-model-deployments",
            data_scientists=f"{args.scope.name_prefix}-data-scientists",
        )
        identities: list[pulumi.Resource] = [
            self._dynamic_group(name, args, group_name, principal_type)
            for group_name, principal_type in (
                (principals.notebooks, ai_edge_iam.NOTEBOOK_PRINCIPAL),
                (principals.job_runs, ai_edge_iam.JOB_RUN_PRINCIPAL),
                (principals.model_deployments, ai_edge_iam.MODEL_DEPLOYMENT_PRINCIPAL),
            )
        ]
        identities.append(
            oci.identity.Group(
                f"{name}-data-scientists",
                compartment_id=args.scope.tenancy_id,
                name=principals.data_scientists,
                description="Data scientists: Data Science resources of the AI compartment (no access to PHI stores)",
                opts=child,
            )
        )
        policy = iam_policy(
            f"{name}-policy",
            compartment_id=args.scope.parent_compartment_id,
            name=f"{args.scope.name_prefix}-ai",
            description="AI block: Data Science principals read the DICOM bucket; service networking; logs",
            statements=pulumi.Output.all(
                args.compartment_id,
                args.data_compartment_id,
                args.network_compartment_id,
                args.bucket_name,
                args.master_key_id,
            ).apply(lambda values: ai_edge_iam.ai_statements(principals, ai_edge_iam.AiScope(*values))),
            descendants=[args.compartment_id, args.data_compartment_id, args.network_compartment_id],
            # OCI rejects a policy naming a group or dynamic group that does not exist yet.
            opts=pulumi.ResourceOptions(parent=self, depends_on=identities),
        )
        log_group = oci.logging.LogGroup(
            f"{name}-logs",
            compartment_id=args.compartment_id,
            display_name=f"{args.scope.name_prefix}-ai-logs",
            description="Data Science job runs and model deployment access/predict logs",
            opts=child,
        )
        project = oci.datascience.Project(
            f"{name}-project",
            compartment_id=args.compartment_id,
            display_name=f"{args.scope.name_prefix}-dicom-ai",
            description="Training and inference on the DICOM archive",
            opts=child,
        )
        # Data Science needs the service grant on the network compartment before it can place a VNIC.
        in_project = pulumi.ResourceOptions(parent=project, depends_on=[policy])
        notebook_endpoint = self._private_endpoint(name, args, "notebook", "NOTEBOOK_SESSION", project)
        notebook = oci.datascience.NotebookSession(
            f"{name}-notebook",
            compartment_id=args.compartment_id,
            project_id=project.id,
            display_name=f"{args.scope.name_prefix}-notebook",
            notebook_session_configuration_details=oci.datascience.NotebookSessionNotebookSessionConfigurationDetailsArgs(
                shape=config.notebook_shape,
                subnet_id=args.subnet.subnet_id,
                block_storage_size_in_gbs=config.notebook_block_storage_gb,
                private_endpoint_id=notebook_endpoint.id,
                notebook_session_shape_config_details=(
                    NotebookShape(ocpus=config.notebook_ocpus, memory_in_gbs=config.notebook_memory_gb)
                    if is_flex(config.notebook_shape)
                    else None
                ),
            ),
            opts=in_project,
        )
        job_log = self._log(name, "job-runs", log_group)
        image = pulumi.Output.from_input(args.namespace).apply(
            lambda namespace: ocir_image(
                args.scope.region, namespace, config.training_image_repository, config.training_image_tag
            )
        )
        job = oci.datascience.Job(
            f"{name}-training",
            compartment_id=args.compartment_id,
            project_id=project.id,
            display_name=f"{args.scope.name_prefix}-training",
            description="GPU training on studies of the DICOM bucket (read-only)",
            job_configuration_details=oci.datascience.JobJobConfigurationDetailsArgs(
                job_type="DEFAULT",
                maximum_runtime_in_minutes=str(config.training_max_runtime_minutes),
                environment_variables={
                    "DICOM_BUCKET": args.bucket_name,
                    "OCI_NAMESPACE": args.namespace,
                    "OCI_REGION": args.scope.region,
                },
            ),
            job_environment_configuration_details=oci.datascience.JobJobEnvironmentConfigurationDetailsArgs(
                job_environment_type="OCIR_CONTAINER", image=image
            ),
            job_infrastructure_configuration_details=oci.datascience.JobJobInfrastructureConfigurationDetailsArgs(
                job_infrastructure_type="STANDALONE",
                shape_name=config.training_shape,
                subnet_id=args.subnet.subnet_id,
                block_storage_size_in_gbs=config.training_block_storage_gb,
            ),
            job_log_configuration_details=oci.datascience.JobJobLogConfigurationDetailsArgs(
                enable_logging=True,
                enable_auto_log_creation=False,
                log_group_id=log_group.id,
                log_id=job_log.id,
            ),
            opts=in_project,
        )
        self.model_deployment_id = (
            self._model_deployment(name, args, project, policy, log_group)
            if config.model_deployment_enabled and config.model_ocid
            else None
        )
        self.project_id = project.id
        self.notebook_session_id = notebook.id
        self.training_job_id = job.id
        self.log_group_id = log_group.id
        self.register_outputs(
            {
                "project_id": self.project_id,
                "notebook_session_id": self.notebook_session_id,
                "training_job_id": self.training_job_id,
                "model_deployment_id": self.model_deployment_id,
                "log_group_id": self.log_group_id,
            }
        )

    def _dynamic_group(
        self, name: str, args: AiArgs, group_name: str, principal_type: str
    ) -> oci.identity.DynamicGroup:
        """A dynamic group of one Data Science principal type in the AI compartment."""
        role = group_name.removeprefix(f"{args.scope.name_prefix}-ai-")
        return oci.identity.DynamicGroup(
            f"{name}-{role}",
            compartment_id=args.scope.tenancy_id,
            name=group_name,
            description=f"Data Science {role} of the AI compartment",
            matching_rule=pulumi.Output.from_input(args.compartment_id).apply(
                lambda compartment_id: iam_statements.resource_principal_rule(principal_type, compartment_id)
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _private_endpoint(
        self, name: str, args: AiArgs, role: str, resource_type: str, project: oci.datascience.Project
    ) -> oci.datascience.PrivateEndpoint:
        """A Data Science private endpoint in the AI subnet, behind the AI NSG."""
        return oci.datascience.PrivateEndpoint(
            f"{name}-{role}-endpoint",
            compartment_id=args.compartment_id,
            data_science_resource_type=resource_type,
            subnet_id=args.subnet.subnet_id,
            nsg_ids=[args.subnet.nsg_id],
            display_name=f"{args.scope.name_prefix}-{role}",
            description=f"Private access to the {role}",
            opts=pulumi.ResourceOptions(parent=project),
        )

    def _log(self, name: str, role: str, log_group: oci.logging.LogGroup) -> oci.logging.Log:
        return custom_log(
            f"{name}-{role}-log",
            display_name=f"{name}-{role}",
            log_group_id=log_group.id,
            opts=pulumi.ResourceOptions(parent=log_group),
        )

    def _model_deployment(
        self,
        name: str,
        args: AiArgs,
        project: oci.datascience.Project,
        policy: oci.identity.Policy,
        log_group: oci.logging.LogGroup,
    ) -> pulumi.Output[str]:
        config = args.config
        endpoint = self._private_endpoint(name, args, "model", "MODEL_DEPLOYMENT", project)
        access_log = self._log(name, "deployment-access", log_group)
        predict_log = self._log(name, "deployment-predict", log_group)
        return oci.datascience.ModelDeployment(
            f"{name}-model-deployment",
            compartment_id=args.compartment_id,
            project_id=project.id,
            display_name=f"{args.scope.name_prefix}-model",
            description="Private inference endpoint of the trained model",
            # Typed dicts: the generated class names of these nested inputs run past any sensible line length.
            model_deployment_configuration_details={
                "deployment_type": "SINGLE_MODEL",
                "model_configuration_details": {
                    "model_id": str(config.model_ocid),
                    "instance_configuration": {
                        "instance_shape_name": config.model_deployment_shape,
                        "subnet_id": args.subnet.subnet_id,
                        "private_endpoint_id": endpoint.id,
                    },
                    "scaling_policy": {
                        "policy_type": "FIXED_SIZE",
                        "instance_count": config.model_deployment_instances,
                    },
                },
            },
            category_log_details=oci.datascience.ModelDeploymentCategoryLogDetailsArgs(
                access=oci.datascience.ModelDeploymentCategoryLogDetailsAccessArgs(
                    log_group_id=log_group.id, log_id=access_log.id
                ),
                predict=oci.datascience.ModelDeploymentCategoryLogDetailsPredictArgs(
                    log_group_id=log_group.id, log_id=predict_log.id
                ),
            ),
            opts=pulumi.ResourceOptions(parent=project, depends_on=[policy]),
        ).id

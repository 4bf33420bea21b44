"""Orthanc on OCI Container Instances: the default runtime.

N replicas (`orthanc.replicas`), each an `oci.containerengine.ContainerInstance`, share the PostgreSQL index
and the bucket; their private addresses are the backends the OrthancService's private load balancer
(components/orthanc/service.py, load_balancer.py) spreads HTTPS and DICOM over.

Design choices:
- Placement: replicas spread over availability and fault domains (components/orthanc/placement.py) from the region's
  real AD and FD lists (invokes), in the app subnet with the orthanc (app) NSG, and never a public IP.
- Image pinned by tag or digest (config validation refuses `latest`).
- Configuration: the renderer's JSON (components/orthanc/orthanc_config.py, rendered per replica inside an apply from
  the data tier's outputs) is a CONFIGFILE volume at /etc/orthanc, where orthancteam/orthanc's configurator
  merges it. Secrets are only `${VAR}` references in it.
- Secrets: pulumi-oci 5.5's ContainerInstance volumes are EMPTYDIR, CONFIGFILE and File Storage only; a
  container can get the instance's resource principal but there is no volume type or environment source that
  reads an OCI Vault secret. Putting a value in a CONFIGFILE volume or an environment variable would place it
  in the container definition (readable through the API by anyone with `read container-instances`) and in the
  Pulumi state. So each instance runs a second, short-lived container from the pinned OCI CLI image
  (`orthanc.secretFetcherImage`): with the instance's resource principal it reads each Vault secret (DB
  password, S3 access key and secret key, one password per Orthanc user) into a memory-backed EMPTYDIR volume
  at /run/secrets, then exits 0. Its environment holds only secret OCIDs. Orthanc's command waits for the
  fetcher's marker, then runs the renderer's entrypoint, which loads the files into the variables the config
  references. Orthanc itself runs without the resource principal (it needs no OCI API). The instance's dynamic
  group needs `read secret-bundles` on exactly these secrets (Security block).
- Database bootstrap: a third, short-lived container from the pinned PostgreSQL client image
  (`database.bootstrapImage`) waits for the fetched secrets, then creates Orthanc's role and database if
  missing (components/data/database_bootstrap.py) and writes its marker to a memory-backed volume; Orthanc's
  command waits for that marker. The administrator's password is fetched into a volume of its own, mounted in
  the fetcher and the bootstrap only: Orthanc never sees it. Every replica runs it; it is idempotent and
  serialised in the database.
- Restart policy ON_FAILURE: the fetcher's clean exit is final, a crashed or health-check-killed Orthanc
  restarts, and a fetcher that failed (IAM not yet propagated) retries. Graceful shutdown gives in-flight
  STOW-RS requests time to finish.
- Container health checks are TCP on the HTTP and DICOM ports: an HTTP check would need credentials in its
  headers, which would put a password in the definition; the load balancer's HTTP check covers Orthanc's HTTP
  layer (expects 401, see components/orthanc/load_balancer.py).
"""

from __future__ import annotations

import base64
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial

import pulumi
import pulumi_oci as oci
from pulumi_oci.containerengine import ContainerInstanceContainerVolumeMountArgs as ContainerVolumeMount

from components.config.schema import OrthancConfig
from components.data.database_bootstrap import ADMIN_PASSWORD_FILE, DatabaseBootstrap, render_bootstrap_script
from components.network.ports import DICOM_PORT, ORTHANC_HTTP_PORT
from components.orthanc.load_balancer import Backend
from components.orthanc.orthanc_config import OrthancSettings, RenderedOrthancConfig
from components.orthanc.orthanc_runtime import (
    IMAGE_COMMAND,
    OrthancDataTier,
    OrthancRuntime,
    ResolvedDataTier,
    orthanc_settings,
)
from components.orthanc.placement import placement
from components.orthanc.secret_fetch import (
    WAIT_FOR_SECRETS_SECONDS,
    fetcher_environment,
    render_fetch_script,
    secrets_directory,
    wait_for_file,
    wait_for_secrets,
)
from components.scope import StackScope, TierSubnet

RESTART_POLICY = "ON_FAILURE"
GRACEFUL_SHUTDOWN_SECONDS = "60"  # the SDK types it as a string; long enough for an in-flight study upload
HEALTH_CHECK_INITIAL_DELAY_SECONDS = 60  # plugin loading and the first PostgreSQL connection
HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_TIMEOUT_SECONDS = 3
HEALTH_CHECK_FAILURES = 3
FETCHER_VCPUS = 0.5  # the OCI CLI runs for seconds at start; keep the rest for Orthanc
FETCHER_MEMORY_GB = 0.5
BOOTSTRAP_VCPUS = 0.25  # one psql session at start
BOOTSTRAP_MEMORY_GB = 0.25
CONFIG_VOLUME = "orthanc-config"
SECRETS_VOLUME = "orthanc-secrets"
ADMIN_SECRETS_VOLUME = "db-admin-secrets"
BOOTSTRAP_VOLUME = "db-bootstrap"


@dataclass(frozen=True)
class ContainerInstancesArgs:
    config: OrthancConfig
    """The `orthanc` config section."""
    scope: StackScope
    """The stack's region: the S3-compatible endpoint's."""
    compartment_id: pulumi.Input[str]
    """The app compartment: the container instances go there."""
    subnet: TierSubnet
    """The app tier: the instances' subnet and the orthanc (app) NSG."""
    data: OrthancDataTier
    """Index, bucket and the Vault secrets Orthanc reads (from the OrthancService)."""


def orthanc_command(rendered: RenderedOrthancConfig, bootstrap: DatabaseBootstrap) -> list[str]:
    """Wait for the database bootstrap (which waited for the secrets), load the secrets into variables, then run
    the image's own entrypoint."""
    waited = wait_for_file(
        bootstrap.marker, WAIT_FOR_SECRETS_SECONDS + bootstrap.timeout_seconds, "database bootstrap", "db-bootstrap"
    )
    return replace(rendered, entrypoint=waited + rendered.entrypoint).command(*IMAGE_COMMAND)


def fetcher_command(rendered: RenderedOrthancConfig) -> list[str]:
    """Fetch the secrets signed as the container instance, then touch the marker the database bootstrap waits
    for (the instance's containers start together)."""
    script = render_fetch_script(
        rendered.secret_files, (ADMIN_PASSWORD_FILE,), auth="resource_principal", ready_marker=True
    )
    return ["/bin/sh", "-c", script]


def bootstrap_command(rendered: RenderedOrthancConfig, bootstrap: DatabaseBootstrap) -> list[str]:
    """Wait for the fetched secrets, then create Orthanc's role and database if missing."""
    return ["/bin/sh", "-c", wait_for_secrets(rendered.secret_files) + render_bootstrap_script(bootstrap)]


def _mount(volume: str, path: pulumi.Input[str], read_only: bool) -> ContainerVolumeMount:
    return ContainerVolumeMount(volume_name=volume, mount_path=path, is_read_only=read_only)


def _limits(vcpus: float, memory_gb: float) -> oci.containerengine.ContainerInstanceContainerResourceConfigArgs:
    """A short-lived start-up container's share of the instance, so the rest stays Orthanc's."""
    return oci.containerengine.ContainerInstanceContainerResourceConfigArgs(
        vcpus_limit=vcpus, memory_limit_in_gbs=memory_gb
    )


def _tcp_check(name: str, port: int) -> oci.containerengine.ContainerInstanceContainerHealthCheckArgs:
    return oci.containerengine.ContainerInstanceContainerHealthCheckArgs(
        name=name,
        health_check_type="TCP",
        port=port,
        initial_delay_in_seconds=HEALTH_CHECK_INITIAL_DELAY_SECONDS,
        interval_in_seconds=HEALTH_CHECK_INTERVAL_SECONDS,
        timeout_in_seconds=HEALTH_CHECK_TIMEOUT_SECONDS,
        failure_threshold=HEALTH_CHECK_FAILURES,
        success_threshold=1,
        failure_action="KILL",
    )


class ContainerInstances(OrthancRuntime):
    """Orthanc replicas on Container Instances, spread over ADs and FDs; the OrthancService balances them."""

    instance_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: ContainerInstancesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dicomstore:container_instances:ContainerInstances", name, None, opts)
        config = args.config
        availability_domains = oci.identity.get_availability_domains_output(
            compartment_id=args.compartment_id
        ).availability_domains.apply(lambda ads: [str(ad.name) for ad in ads])
        data = args.data.resolved()
        self.instance_ids = []
        self.backends = []
        for replica in range(config.replicas):
            ad_name = availability_domains.apply(partial(_availability_domain_name, replica))
            fault_domains = oci.identity.get_fault_domains_output(
                availability_domain=ad_name, compartment_id=args.compartment_id
            ).fault_domains.apply(lambda fds: [str(fd.name) for fd in fds])
            fd_name = pulumi.Output.all(availability_domains, fault_domains).apply(partial(_fault_domain_name, replica))
            rendered = data.apply(partial(_render, orthanc_settings(config, replica), args.scope.region))
            instance = self._replica(name, replica, args, placed=(ad_name, fd_name), rendered=rendered, data=data)
            self.instance_ids.append(instance.id)
            vnic_id = instance.vnics.apply(lambda vnics: str(vnics[0].vnic_id))
            self.backends.append(
                Backend(
                    ip_address=oci.core.get_vnic_output(vnic_id=vnic_id).private_ip_address,
                    http_port=ORTHANC_HTTP_PORT,
                    dicom_port=DICOM_PORT,
                )
            )

        self.register_outputs(
            {"instance_ids": self.instance_ids, "backend_ips": [backend.ip_address for backend in self.backends]}
        )

    def _replica(
        self,
        name: str,
        replica: int,
        args: ContainerInstancesArgs,
        *,
        placed: tuple[pulumi.Output[str], pulumi.Output[str]],
        rendered: pulumi.Output[RenderedOrthancConfig],
        data: pulumi.Output[ResolvedDataTier],
    ) -> oci.containerengine.ContainerInstance:
        """One replica: the secret fetcher, the database bootstrap and Orthanc sharing memory-backed volumes."""
        config = args.config
        availability_domain, fault_domain = placed
        config_path = rendered.apply(lambda r: r.config_path)
        secrets_mount = rendered.apply(lambda r: secrets_directory(r.secret_files))
        bootstrap = pulumi.Output.all(rendered, data).apply(lambda both: both[1].bootstrap(both[0]))
        admin_mount = posixpath.dirname(ADMIN_PASSWORD_FILE.path)
        bootstrap_mount = bootstrap.apply(lambda b: posixpath.dirname(b.marker))

        fetcher = oci.containerengine.ContainerInstanceContainerArgs(
            display_name="secret-fetcher",
            image_url=config.secret_fetcher_image,
            commands=rendered.apply(fetcher_command),
            environment_variables=pulumi.Output.all(rendered, data).apply(
                lambda both: fetcher_environment((*both[0].secret_files, ADMIN_PASSWORD_FILE), both[1].secret_ids)
            ),
            is_resource_principal_disabled=False,
            resource_config=_limits(FETCHER_VCPUS, FETCHER_MEMORY_GB),
            volume_mounts=[
                _mount(SECRETS_VOLUME, secrets_mount, False),
                _mount(ADMIN_SECRETS_VOLUME, admin_mount, False),
            ],
        )
        database_bootstrap = oci.containerengine.ContainerInstanceContainerArgs(
            display_name="db-bootstrap",
            image_url=data.apply(lambda d: d.bootstrap_image),
            commands=pulumi.Output.all(rendered, bootstrap).apply(lambda both: bootstrap_command(both[0], both[1])),
            is_resource_principal_disabled=True,
            resource_config=_limits(BOOTSTRAP_VCPUS, BOOTSTRAP_MEMORY_GB),
            volume_mounts=[
                _mount(SECRETS_VOLUME, secrets_mount, True),
                _mount(ADMIN_SECRETS_VOLUME, admin_mount, True),
                _mount(BOOTSTRAP_VOLUME, bootstrap_mount, False),
            ],
        )
        orthanc = oci.containerengine.ContainerInstanceContainerArgs(
            display_name="orthanc",
            image_url=config.image,
            commands=pulumi.Output.all(rendered, bootstrap).apply(lambda both: orthanc_command(both[0], both[1])),
            is_resource_principal_disabled=True,
            health_checks=[_tcp_check("orthanc-http", ORTHANC_HTTP_PORT), _tcp_check("orthanc-dicom", DICOM_PORT)],
            volume_mounts=[
                _mount(CONFIG_VOLUME, config_path.apply(posixpath.dirname), True),
                _mount(SECRETS_VOLUME, secrets_mount, True),
                _mount(BOOTSTRAP_VOLUME, bootstrap_mount, True),
            ],
        )
        return oci.containerengine.ContainerInstance(
            f"{name}-{replica}",
            compartment_id=args.compartment_id,
            display_name=f"{name}-{replica}",
            availability_domain=availability_domain,
            fault_domain=fault_domain,
            shape=config.shape,
            shape_config=oci.containerengine.ContainerInstanceShapeConfigArgs(
                ocpus=config.ocpus, memory_in_gbs=config.memory_gb
            ),
            vnics=[
                oci.containerengine.ContainerInstanceVnicArgs(
                    subnet_id=args.subnet.subnet_id,
                    nsg_ids=[args.subnet.nsg_id],
                    is_public_ip_assigned=False,
                    hostname_label=f"orthanc{replica}",
                    display_name=f"{name}-{replica}-vnic",
                )
            ],
            containers=[fetcher, database_bootstrap, orthanc],
            volumes=[
                oci.containerengine.ContainerInstanceVolumeArgs(
                    name=CONFIG_VOLUME,
                    volume_type="CONFIGFILE",
                    configs=rendered.apply(_config_files),
                ),
                # Memory-backed: fetched secrets (and the bootstrap's PGPASSFILE) never touch a disk.
                *(
                    oci.containerengine.ContainerInstanceVolumeArgs(
                        name=volume, volume_type="EMPTYDIR", backing_store="MEMORY"
                    )
                    for volume in (SECRETS_VOLUME, ADMIN_SECRETS_VOLUME, BOOTSTRAP_VOLUME)
                ),
            ],
            container_restart_policy=RESTART_POLICY,
            graceful_shutdown_timeout_in_seconds=GRACEFUL_SHUTDOWN_SECONDS,
            opts=pulumi.ResourceOptions(parent=self),
        )


def _config_files(rendered: RenderedOrthancConfig) -> list[oci.containerengine.ContainerInstanceVolumeConfigArgs]:
    """The configuration and the access-control script, one CONFIGFILE volume mounted at their directory."""
    if len({posixpath.dirname(path) for path in rendered.files()}) != 1:
        raise ValueError(f"Orthanc's files must share one directory: {sorted(rendered.files())}")
    return [
        oci.containerengine.ContainerInstanceVolumeConfigArgs(
            file_name=posixpath.basename(path), data=base64.b64encode(content.encode()).decode()
        )
        for path, content in rendered.files().items()
    ]


def _availability_domain_name(replica: int, ads: Sequence[str]) -> str:
    # The AD index does not depend on the FD count, which is only known once the AD is chosen.
    return ads[placement(replica, len(ads), 1).availability_domain]


def _fault_domain_name(replica: int, lists: Sequence[Sequence[str]]) -> str:
    ads, fds = lists
    return fds[placement(replica, len(ads), len(fds)).fault_domain]


def _render(settings: OrthancSettings, region: str, tier: ResolvedDataTier) -> RenderedOrthancConfig:
    """Runs inside an apply: computes the configuration, creates nothing."""
    return tier.render(settings, region)

"""The OKE runtime's cross-field config rules, next to it: a service range apart from every routed network,
pods that fit the workers, a GPU pool of GPU shapes, an autoscaler above the fixed replica count.

Each problem is a `RuleProblem`; `components/config/schema.py` turns them into the one-line `ConfigProblem`s it
raises before any resource exists.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from components.config.config_messages import RuleProblem, gpu_shape_problems

if TYPE_CHECKING:
    from components.config.schema import StackConfig


def oke_problems(config: StackConfig) -> list[RuleProblem]:
    """Rules of the OKE runtime: service range apart from every routed network, pods that fit the workers, a
    GPU pool of GPU shapes, an autoscaler above the fixed replica count."""
    oke, orthanc, network = config.oke, config.orthanc, config.network
    if orthanc.runtime != "oke":
        return []
    problems: list[RuleProblem] = []
    services = ipaddress.ip_network(oke.services_cidr)
    routed = [*network.vcn_cidrs, *network.on_prem_cidrs]
    clashes = [cidr for cidr in routed if ipaddress.ip_network(cidr).overlaps(services)]
    if clashes:
        problems.append(
            (
                "oke.servicesCidr", oke.services_cidr,
                f"overlaps {', '.join(clashes)} (pods could not reach those addresses)",
                "choose a service range outside the VCN and on-prem networks, e.g. 10.96.0.0/16",
            )
        )  # fmt: skip
    if oke.gpu_pool_enabled:
        problems += gpu_shape_problems("oke.gpuShape", oke.gpu_shape)
    # One OCPU is two vCPUs; Orthanc's pod asks for its OCPUs and memory and must leave room for the node's
    # own daemons (kubelet, CNI, log agent).
    if orthanc.ocpus >= oke.node_ocpus or orthanc.memory_gb >= oke.node_memory_gb:
        problems.append(
            (
                "orthanc.ocpus", orthanc.ocpus,
                f"with orthanc.memoryGb={orthanc.memory_gb} does not fit a CPU worker "
                f"({oke.node_ocpus} OCPUs, {oke.node_memory_gb} GB) next to the node's own daemons",
                "give Orthanc fewer OCPUs/GB than oke.nodeOcpus/oke.nodeMemoryGb, or bigger workers",
            )
        )  # fmt: skip
    if oke.orthanc_max_replicas is not None and oke.orthanc_max_replicas <= orthanc.replicas:
        problems.append(
            (
                "oke.orthancMaxReplicas", oke.orthanc_max_replicas,
                f"is not above orthanc.replicas ({orthanc.replicas}), so the autoscaler could never scale out",
                "set it above orthanc.replicas, or leave it unset for a fixed replica count",
            )
        )  # fmt: skip
    return problems

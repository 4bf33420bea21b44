"""PostgreSQL sizing for Orthanc's index: `max_connections` from the Orthanc fleet, and what a shape can hold.

Every Orthanc replica keeps a fixed pool of `orthanc.indexConnections` connections to PostgreSQL, so the
database must accept `replicas x indexConnections` plus the pool of one extra replica during a rolling
update (the new replica connects before the old one stops) plus room for administrators and OCI's own
management sessions. The value is computed here, never typed by hand, and the same numbers drive the
config check that rejects a fleet the database shape's memory cannot serve.

The memory model is deliberately simple and conservative: each PostgreSQL backend is budgeted
`CONNECTION_MEMORY_MIB` (work_mem for one sort or hash plus the backend's own overhead), and connections may
use at most `CONNECTION_MEMORY_FRACTION` of the node's memory; the rest belongs to shared buffers / OCI's
page cache, maintenance work and the operating system.
"""

from __future__ import annotations

import math

ADMIN_HEADROOM_CONNECTIONS = 20
"""superuser_reserved_connections (3), OCI's management and monitoring sessions, operators' psql/pg_dump."""
ROLLING_UPDATE_SURGE_REPLICAS = 1
"""Both runtimes roll one replica at a time and start the new one before stopping the old one."""
CONNECTION_MEMORY_MIB = 16
"""Budget per backend: ~4 MiB work_mem for one sort/hash node plus ~10 MiB of process overhead (caches)."""
CONNECTION_MEMORY_FRACTION = 0.25
"""Share of a node's memory connections may use; shared buffers and the page cache need the rest."""
POSTGRES_MAX_CONNECTIONS_CAP = 5000
"""Beyond a few thousand backends PostgreSQL spends its time on snapshots and locks, whatever the memory."""
MIB_PER_GB = 1024


def required_max_connections(replicas: int, index_connections: int) -> int:
    """`max_connections` Orthanc needs: the fleet's pools, one surge replica's pool and the admin headroom."""
    if replicas < 1 or index_connections < 1:
        raise ValueError(f"replicas ({replicas}) and index connections ({index_connections}) must be at least 1")
    return (replicas + ROLLING_UPDATE_SURGE_REPLICAS) * index_connections + ADMIN_HEADROOM_CONNECTIONS


def shape_connection_limit(memory_gb: int) -> int:
    """The most connections a database node with `memory_gb` of memory can serve under the memory model."""
    by_memory = math.floor(memory_gb * MIB_PER_GB * CONNECTION_MEMORY_FRACTION / CONNECTION_MEMORY_MIB)
    return min(by_memory, POSTGRES_MAX_CONNECTIONS_CAP)


def minimum_memory_gb(connections: int) -> int:
    """The smallest node memory (whole GB) whose connection limit admits `connections`."""
    return math.ceil(connections * CONNECTION_MEMORY_MIB / (CONNECTION_MEMORY_FRACTION * MIB_PER_GB))


def configuration_shape(db_system_shape: str) -> str:
    """The shape name a PostgreSQL configuration uses for a DB system shape.

    DB systems name their shape `PostgreSQL.VM.Standard.E5.Flex`, configurations `VM.Standard.E5.Flex`
    (oracle/terraform-provider-oci examples/psql/main.tf).
    """
    return db_system_shape.removeprefix("PostgreSQL.")

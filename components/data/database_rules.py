"""The Database block's cross-field config rules, next to the block: the index can serve the Orthanc fleet, its
role and database names are Orthanc's own, and prod has a standby.

Each problem is a `RuleProblem`; `components/config/schema.py` turns them into the one-line
`ConfigProblem`s it raises before any resource exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.config.config_messages import RuleProblem
from components.data.postgres_sizing import ADMIN_HEADROOM_CONNECTIONS, minimum_memory_gb, shape_connection_limit

if TYPE_CHECKING:
    from components.config.schema import OrthancFleet, StackConfig


def database_problems(config: StackConfig, fleet: OrthancFleet) -> list[RuleProblem]:
    """The database can serve the Orthanc fleet, and prod has a standby."""
    problems: list[RuleProblem] = []
    database, orthanc = config.database, config.orthanc
    peak, needed = fleet.peak_replicas, fleet.db_max_connections
    key = "orthanc.replicas" if peak == orthanc.replicas else "oke.orthancMaxReplicas"
    limit = shape_connection_limit(database.memory_gb)
    if needed > limit:
        problems.append(
            (
                key,
                peak,
                f"needs {needed} PostgreSQL connections ({peak} replicas + 1 during a rolling update, "
                f"x orthanc.indexConnections {orthanc.index_connections}, + {ADMIN_HEADROOM_CONNECTIONS} for "
                f"administrators), but database.memoryGb ({database.memory_gb}) serves at most {limit}",
                f"raise database.memoryGb to at least {minimum_memory_gb(needed)}, or lower {key} or "
                "orthanc.indexConnections",
            )
        )
    if database.orthanc_username.startswith("pg_") or database.orthanc_username == "postgres":
        problems.append(
            (
                "database.orthancUsername", database.orthanc_username, "is reserved by PostgreSQL",
                "use a role name that does not start with 'pg_' and is not 'postgres', e.g. 'orthanc'",
            )
        )  # fmt: skip
    if database.database_name == "postgres":
        problems.append(
            (
                "database.databaseName", database.database_name, "is the maintenance database of the DB system",
                "give Orthanc its own database, e.g. 'orthanc'",
            )
        )  # fmt: skip
    if database.orthanc_username == database.admin_username:
        problems.append(
            (
                "database.orthancUsername", database.orthanc_username,
                "is the database administrator: Orthanc would run with the administrator's privileges",
                f"use a role of its own, e.g. 'orthanc' (database.adminUsername is {database.admin_username!r})",
            )
        )  # fmt: skip
    if config.environment == "prod" and database.instance_count < 2:
        problems.append(
            (
                "database.instanceCount", database.instance_count,
                "gives prod no standby: one node failure stops every Orthanc replica",
                "set 2 or more (a primary and a read replica that OCI promotes on failure)",
            )
        )  # fmt: skip
    return problems

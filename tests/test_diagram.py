"""The block diagram is derived from the recorded dependencies."""

from __future__ import annotations

from offline.diagram import block_edges, mermaid
from offline.records import ResourceRecord
from tests.support import Recorded

STACK = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"


def _component(name: str, parent: str = STACK) -> ResourceRecord:
    return ResourceRecord(
        urn=f"urn:c:{name}", type=f"dicomstore:{name}:{name.title()}", name=name, parent=parent, custom=False
    )


def _resource(name: str, parent: str, *dependencies: str) -> ResourceRecord:
    return ResourceRecord(
        urn=f"urn:r:{name}", type="oci:Core/vcn:Vcn", name=name, parent=parent, dependencies=dependencies
    )


def test_an_edge_per_cross_block_dependency() -> None:
    store = _component("store")
    network, database = _component("network", store.urn), _component("database", store.urn)
    records = [
        store, network, database,
        _resource("subnet", network.urn),
        _resource("rule", "urn:r:subnet", "urn:r:subnet"),  # nested resource, same block: no edge
        _resource("db", database.urn, "urn:r:subnet", store.urn),  # depends on the parent component: no edge
    ]  # fmt: skip
    assert block_edges(records) == {(network.urn, database.urn)}
    diagram = mermaid(records)
    assert diagram.startswith("flowchart LR")
    assert '["Network<br/>network<br/>2 resources"]' in diagram
    assert diagram.count("-->") == 1


def test_the_shipped_prod_stack_flows_from_identity_to_network(prod_plan: Recorded) -> None:
    by_name = {record.urn: record.name for record in prod_plan}
    edges = {(by_name[a], by_name[b]) for a, b in block_edges(prod_plan.records)}
    assert ("dicomstore-identity", "dicomstore-network") in edges

"""Freeform tags: one stack transform tags every taggable resource."""

from __future__ import annotations

from components.tagging import TAGS_PROPERTY, is_taggable, with_tags
from tests.support import Recorded


def test_taggable_types_are_read_from_the_provider_sdk() -> None:
    assert is_taggable("oci:Core/vcn:Vcn")
    assert is_taggable("oci:ObjectStorage/bucket:Bucket")
    assert not is_taggable("oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule")
    assert not is_taggable("dicomstore:network:Network")


def test_own_tags_refine_the_stack_tags() -> None:
    props = with_tags("oci:Core/vcn:Vcn", {TAGS_PROPERTY: {"role": "hub"}}, {"role": "x", "stack": "dev"})
    assert props == {TAGS_PROPERTY: {"role": "hub", "stack": "dev"}}
    assert with_tags("dicomstore:network:Network", {}, {"stack": "dev"}) is None


def test_every_taggable_resource_of_the_shipped_stacks_is_tagged(dev_plan: Recorded, prod_plan: Recorded) -> None:
    for plan, stack in ((dev_plan, "dev"), (prod_plan, "prod")):
        taggable = [record for record in plan if is_taggable(record.type)]
        assert len(taggable) > 10
        for record in taggable:
            tags = record.inputs.get(TAGS_PROPERTY, {})
            assert tags.get("stack") == stack, record.urn
            assert tags.get("data-classification") == "phi", record.urn
            assert tags.get("project") == "dicomstore", record.urn

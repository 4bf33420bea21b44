"""Freeform tags on every taggable OCI resource, through one stack transform.

Tags are not written by hand in the components: a resource transform registered once for the stack adds
them to every resource whose pulumi-oci input type has `freeform_tags`. Which types are taggable is read
from the installed provider SDK, so a new resource type is tagged without touching this module. Tags a
component sets itself win over the stack tags (a block may refine `role`, never lose the stack's).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping

import pulumi
import pulumi_oci

from components.config.schema import StackConfig

TAGS_PROPERTY = "freeformTags"  # engine (camelCase) name of `freeform_tags`


def stack_tags(config: StackConfig, project: str, stack: str) -> dict[str, str]:
    """The tags every resource of the stack carries (cost reports, Cloud Guard triage, data handling)."""
    return {
        "project": project,
        "stack": stack,
        "environment": config.environment,
        "data-classification": "phi",
        "cost-centre": config.cost_centre,
        "managed-by": "pulumi",
    }


@functools.cache
def is_taggable(type_token: str) -> bool:
    """True when the OCI resource type accepts freeform tags, e.g. `oci:Core/vcn:Vcn`."""
    package, _, rest = type_token.partition(":")
    module_name, _, class_name = rest.partition(":")
    if package != "oci" or not class_name:
        return False
    module = getattr(pulumi_oci, module_name.split("/")[0].lower(), None)
    args_class = getattr(module, f"{class_name}Args", None)
    return args_class is not None and "freeform_tags" in inspect.signature(args_class.__init__).parameters


def with_tags(type_token: str, props: Mapping[str, object], tags: Mapping[str, str]) -> dict[str, object] | None:
    """The props with the stack tags merged in, or None when the type takes no tags."""
    if not is_taggable(type_token):
        return None
    own = props.get(TAGS_PROPERTY)
    merged = {**tags, **(own if isinstance(own, Mapping) else {})}
    return {**props, TAGS_PROPERTY: merged}


def register_freeform_tags(tags: Mapping[str, str]) -> None:
    """Register the stack transform; resources created afterwards are tagged."""
    frozen_tags = dict(tags)

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        props = with_tags(args.type_, args.props, frozen_tags)
        return None if props is None else pulumi.ResourceTransformResult(props=props, opts=args.opts)

    pulumi.runtime.register_resource_transform(transform)

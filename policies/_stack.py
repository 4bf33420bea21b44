"""Helpers for stack validation policies: find resources by type and follow links between them.

A stack policy relates resources (a flow log to its subnet, a write log to its bucket). Resource ids are
not known at preview time and are not inputs, so the link used is the engine's own: the dependency it
records when one resource's input is another resource's output (`log.configuration.source.resource =
subnet.id`), or the parent/child relation.
"""

from __future__ import annotations

from pulumi_policy import PolicyResource, StackValidationArgs


def resources_of(args: StackValidationArgs, *types: str) -> list[PolicyResource]:
    """The stack's resources whose type token is one of `types`, in registration order."""
    return [resource for resource in args.resources if resource.resource_type in types]


def linked(resource: PolicyResource, target: PolicyResource) -> bool:
    """True if `resource` depends on `target` or is its child."""
    if resource.parent is not None and resource.parent.urn == target.urn:
        return True
    return any(dependency.urn == target.urn for dependency in resource.dependencies)

"""Offline plan: run the Pulumi program under mocks, record every resource, replay the policy packs, report."""

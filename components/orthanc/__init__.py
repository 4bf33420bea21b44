"""Orthanc block: the configuration renderer, secrets, load balancer and the two runtimes that place it."""

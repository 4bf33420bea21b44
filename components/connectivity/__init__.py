"""Connectivity block: FastConnect and the IPSec backup to the hospital, on the network's DRG."""

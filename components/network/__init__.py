"""Network block: the VCN, its subnets and gateways, the NSGs and the traffic matrix they enforce."""

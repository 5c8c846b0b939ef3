"""The proxy server: the cluster's front door."""

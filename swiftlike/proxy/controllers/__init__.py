"""Account, container and object controllers."""

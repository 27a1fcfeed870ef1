"""Users, roles, sessions, API tokens and the authorization rules."""

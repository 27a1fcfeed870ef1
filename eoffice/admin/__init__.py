"""Administration pages: the body tree, accounts, the audit log."""

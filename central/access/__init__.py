"""Who may do what: people, their passwords and sessions, roles and tenancy, and the audit log."""

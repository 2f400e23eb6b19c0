"""The kiosks: enrolment, heartbeats, commands, their sites and configuration, status and alerts."""

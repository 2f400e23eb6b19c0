"""What every HTTP request passes through: limits, security headers, scrubbed logs,
links and downloads."""

"""Agreements between organisations: what lets one organisation's officials serve, or its
interpreters interpret, at another's service points, and what it costs."""

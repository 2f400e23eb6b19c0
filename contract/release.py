"""The release this code is: the one place its version is written.

pyproject.toml reads it (setuptools' dynamic version), the agent reports it in
every heartbeat, the UI in `ui.alive`, and `central release build` writes it
into a bundle's manifest, so a release can never call itself two things.
"""

VERSION = "0.1.0"

"""The citizen's phone's page after paying with Suomi.fi Payments."""

"""Strong identification by a citizen's own phone: Suomi.fi e-Identification (SAML 2.0)
and FTN brokers (OpenID Connect), behind one `Broker` interface."""

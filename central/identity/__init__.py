"""Strong identification of citizens at central: the ID card's signature (FINEID) and
Suomi.fi e-Identification. The identity is held for one call or session, sealed."""

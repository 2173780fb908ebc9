"""How readers of audience pages sign in, and the Admin's audiences (issue 19).

A reader signs in through the reader OIDC client (`oidc`) or a single-use link sent by
email (`links`); either way `session` writes the session key `candor_reader` that
incidents/audiences/ reads, and keeps it true to the database at each request
(`middleware`): an expired session or a revoked membership is gone at the next request.
`audiences` holds the Admin's writes (audiences, invitations, revocations). Readers are
not staff accounts (incidents/models/readers.py says why).
"""

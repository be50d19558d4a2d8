"""The trial service: accounts, the permission table, the audit trail, signatures, the API.

Modules (imported on their own, so the CLI does not pay for FastAPI):

- :mod:`theratrial.api.permissions` — roles, actions and THE permission table;
- :mod:`theratrial.api.security` — argon2id password hashes, secrets and their digests;
- :mod:`theratrial.api.accounts` — users, sites, lock-out, sessions and API tokens;
- :mod:`theratrial.api.audit` — the append-only, hash-chained audit trail;
- :mod:`theratrial.api.signatures` — electronic signatures bound to a content hash.
"""

from __future__ import annotations

__all__: list[str] = []

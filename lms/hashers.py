"""Argon2id sized for a 2-core web server that must absorb a whole organization logging in.

Django's defaults (RFC 9106's second option: 100 MiB, 8 lanes) spend about 160 ms of CPU per
check here, which caps a 2-core machine near 12 logins a second. OWASP's Password Storage
Cheat Sheet recommends Argon2id with at least 19 MiB, 2 passes, 1 lane; that is what we use.
Stored hashes with other parameters are upgraded on the owner's next login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2PasswordHasher


class Argon2PasswordHasher(DjangoArgon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

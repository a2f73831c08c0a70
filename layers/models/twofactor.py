"""Recovery codes for two-factor sign-in, stored hashed.

django-otp's own static-token plugin keeps its codes in clear text, so the codes here are
a small django-otp Device of our own: each code is 80 random bits, stored as its sha256
(high entropy makes a slow hash unnecessary, and lets a code be found by its digest), and
used at most once.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django_otp.models import Device


def code_digest(code: str) -> str:
    """The digest of a recovery code as typed: case, spaces and dashes do not matter."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


class RecoveryCodes(Device):
    """A user's set of one-time recovery codes (one set per user)."""

    def verify_token(self, token: str) -> bool:
        used = self.codes.filter(digest=code_digest(token), used_at=None).update(
            used_at=timezone.now()
        )
        return used == 1

    def remaining(self) -> int:
        return self.codes.filter(used_at=None).count()


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"recovery code of {self.device.user} ({'used' if self.used_at else 'unused'})"

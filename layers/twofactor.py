"""Two-factor sign-in (TOTP): who needs it, enrolment, verification, recovery codes.

Verb functions in the STYLE.md sense: each change writes its audit event in the same
transaction. django-otp supplies the TOTP device (RFC 6238, a code accepted once, clock
drift followed, failures throttled with a growing delay); the recovery codes are ours
(layers/models/twofactor.py) because django-otp's static tokens are stored in clear.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from layers import audit
from layers.models import Membership, RecoveryCode, RecoveryCodes
from layers.models.twofactor import code_digest

# Roles whose accounts must use a second factor (issue #10): they change agreements, read
# the audit trail, and publish data.
REQUIRED_FOR_ROLES = (
    Membership.Role.INFORMATION_MANAGER.value,
    Membership.Role.DATA_STEWARD.value,
)
N_RECOVERY_CODES = 10
RECOVERY_CODE_LENGTH = 16  # base32 characters (80 bits), shown as ABCD-EFGH-IJKL-MNOP


def is_required(user: Any) -> bool:
    """Whether `user` must pass the second factor: a role above, or staff (the admin)."""
    return bool(
        user.is_staff
        or Membership.objects.filter(user_id=user.pk, role__in=REQUIRED_FOR_ROLES).exists()
    )


def authenticator(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled one."""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).first()


def must_verify(user: Any) -> bool:
    """A session of `user` must pass the second factor before anything else: the role
    requires it, or the user has chosen to enrol."""
    return authenticator(user) is not None or is_required(user)


def pending_enrolment(user: Any, device_id: int | None) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled in this session, or a new one (with a
    new secret) when there is none."""
    device = (
        TOTPDevice.objects.filter(id=device_id, user_id=user.pk, confirmed=False).first()
        if device_id
        else None
    )
    if device is None:
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def secret_for_display(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@dataclass(frozen=True, slots=True)
class Enrolled:
    device: TOTPDevice
    recovery_codes: list[str]  # shown once, never stored


@transaction.atomic
def confirm_enrolment(user: Any, device: TOTPDevice, token: str) -> Enrolled | None:
    """Confirm an authenticator with a code it shows. It replaces any earlier one, and a
    new set of recovery codes is made. None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(id=device.id)
    if not device.verify_token(_digits(token)):
        audit.record(
            action="twofactor.failed",
            user=user,
            agency_id=audit.home_agency_id(user),
            detail={"stage": "enrol"},
        )
        return None
    TOTPDevice.objects.filter(user_id=user.pk).exclude(id=device.id).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_codes(user)
    audit.record(
        action="twofactor.enrolled",
        user=user,
        agency_id=audit.home_agency_id(user),
        detail={"recovery_codes": len(codes)},
    )
    return Enrolled(device=device, recovery_codes=codes)


@dataclass(frozen=True, slots=True)
class Verification:
    device: Any  # the device that accepted the code, or None
    wait_until: datetime | None = None  # set when refused because of earlier failures


@transaction.atomic
def verify(user: Any, token: str) -> Verification:
    """Check a code from the authenticator, or an unused recovery code. After each wrong
    authenticator code the next try must wait longer (1 s, 2 s, 4 s, ...: django-otp's
    throttling). Every attempt is audited."""
    alnum = "".join(ch for ch in token if ch.isalnum())
    method = "recovery_code" if len(alnum) == RECOVERY_CODE_LENGTH else "totp"
    device: Any = None
    wait_until: datetime | None = None
    if method == "totp":
        for candidate in TOTPDevice.objects.select_for_update().filter(
            user_id=user.pk, confirmed=True
        ):
            allowed, why = candidate.verify_is_allowed()
            if not allowed:
                wait_until = (why or {}).get("locked_until")
                continue
            if candidate.verify_token(alnum):
                device = candidate
                break
    else:
        codes = RecoveryCodes.objects.filter(user_id=user.pk, confirmed=True).first()
        device = codes if codes is not None and codes.verify_token(alnum) else None
    detail: dict[str, Any] = {"method": method}
    if device is not None:
        wait_until = None
        if method == "recovery_code":
            detail["recovery_codes_left"] = device.remaining()
    elif wait_until is not None:
        detail["throttled"] = True
    audit.record(
        action="twofactor.verified" if device is not None else "twofactor.failed",
        user=user,
        agency_id=audit.home_agency_id(user),
        detail=detail,
    )
    return Verification(device=device, wait_until=wait_until)


@transaction.atomic
def renew_recovery_codes(user: Any) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    codes = _new_codes(user)
    audit.record(
        action="twofactor.recovery_codes_renewed",
        user=user,
        agency_id=audit.home_agency_id(user),
        detail={"recovery_codes": len(codes)},
    )
    return codes


def recovery_codes_left(user: Any) -> int:
    codes = RecoveryCodes.objects.filter(user_id=user.pk).first()
    return codes.remaining() if codes else 0


def _new_codes(user: Any) -> list[str]:
    RecoveryCodes.objects.filter(user_id=user.pk).delete()
    device = RecoveryCodes.objects.create(user=user, name="recovery codes", confirmed=True)
    raw = [_format(secrets.token_bytes(10)) for _ in range(N_RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=code_digest(code)) for code in raw
    )
    return raw


def _format(random: bytes) -> str:
    """80 bits as 16 base32 characters in four groups: ABCD-EFGH-IJKL-MNOP."""
    text = b32encode(random).decode()
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


def _digits(token: str) -> str:
    return "".join(ch for ch in token if ch.isdigit())

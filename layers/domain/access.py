"""Who may see which dataset, at which level, for which use and purpose.

Pure: no Django, no database. layers.queries loads the grants; this module decides
(DESIGN.md "The two gates", gate 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.levels import Level


class Use(StrEnum):
    """What the figures are for: shown on the map, pulled by the API, exported, or
    published to the public (no sign-in; `decide_public`)."""

    MAP = "map"
    API = "api"
    EXPORT = "export"
    PUBLIC = "public"


# The uses an agreement can grant to the people of its recipient agencies.
PARTNER_USES = frozenset({Use.MAP, Use.API, Use.EXPORT})


class Role(StrEnum):
    """A member's role in an agency (DESIGN.md "Domain")."""

    ANALYST = "analyst"
    NEIGHBOURHOOD_MANAGER = "neighbourhood_manager"
    DATA_STEWARD = "data_steward"
    INFORMATION_MANAGER = "information_manager"
    SERVICE = "service"


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


class Reason(StrEnum):
    """Stable reason codes: written to audit events and returned with a refusal."""

    OWN_AGENCY = "own_agency"
    AGREEMENT = "agreement"
    NO_AGREEMENT = "no_agreement"
    AGREEMENT_DRAFT = "agreement_draft"
    AGREEMENT_SUSPENDED = "agreement_suspended"
    AGREEMENT_EXPIRED = "agreement_expired"
    AGREEMENT_NOT_STARTED = "agreement_not_started"
    ROLE_NOT_PERMITTED = "role_not_permitted"
    USE_NOT_PERMITTED = "use_not_permitted"
    PURPOSE_NOT_STATED = "purpose_not_stated"
    PURPOSE_NOT_PERMITTED = "purpose_not_permitted"
    LEVEL_TOO_FINE = "level_too_fine"
    PUBLIC_AGREEMENT = "public_agreement"


@dataclass(frozen=True, slots=True)
class Membership:
    agency_id: int
    role: Role


@dataclass(frozen=True, slots=True)
class Viewer:
    """A person or partner system, with every agency they belong to and their role there."""

    user_id: int
    memberships: tuple[Membership, ...]


@dataclass(frozen=True, slots=True)
class DatasetRef:
    id: int
    owner_agency_id: int


@dataclass(frozen=True, slots=True)
class Grant:
    """One version of a sharing agreement, as the decision needs it."""

    agreement_ref: str
    version: int
    status: AgreementStatus
    starts_on: date
    ends_on: date
    recipient_agency_ids: frozenset[int]
    dataset_ids: frozenset[int]
    roles: frozenset[Role]
    uses: frozenset[Use]
    purposes: frozenset[str]
    finest_level: Level
    policy: DisclosurePolicy


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed or refused, why, and (when an agreement grants) which one and its policy."""

    allowed: bool
    reason: Reason
    agency_id: int | None = None
    agreement_ref: str | None = None
    agreement_version: int | None = None
    policy: DisclosurePolicy | None = None
    finest_level: Level | None = None

    @property
    def disclosure_applies(self) -> bool:
        """Owners see their own data unsuppressed; everyone else gets the policy."""
        return self.reason is not Reason.OWN_AGENCY


# The checks an agreement that names the viewer's agency and the dataset goes through,
# in order. A refusal reports the check at which the most promising agreement stopped.
_CHECKS: tuple[Reason, ...] = (
    Reason.AGREEMENT_DRAFT,
    Reason.AGREEMENT_SUSPENDED,
    Reason.AGREEMENT_EXPIRED,
    Reason.AGREEMENT_NOT_STARTED,
    Reason.ROLE_NOT_PERMITTED,
    Reason.USE_NOT_PERMITTED,
    Reason.PURPOSE_NOT_STATED,
    Reason.PURPOSE_NOT_PERMITTED,
    Reason.LEVEL_TOO_FINE,
)


def _first_failure(
    grant: Grant,
    membership: Membership,
    *,
    level: Level,
    use: Use,
    purpose: str | None,
    on: date,
) -> Reason | None:
    if grant.status is AgreementStatus.DRAFT:
        return Reason.AGREEMENT_DRAFT
    if grant.status is AgreementStatus.SUSPENDED:
        return Reason.AGREEMENT_SUSPENDED
    if grant.status is AgreementStatus.EXPIRED or on > grant.ends_on:
        return Reason.AGREEMENT_EXPIRED
    if on < grant.starts_on:
        return Reason.AGREEMENT_NOT_STARTED
    if membership.role not in grant.roles:
        return Reason.ROLE_NOT_PERMITTED
    if use not in grant.uses:
        return Reason.USE_NOT_PERMITTED
    if not purpose:
        return Reason.PURPOSE_NOT_STATED
    if purpose not in grant.purposes:
        return Reason.PURPOSE_NOT_PERMITTED
    if level.is_finer_than(grant.finest_level):
        return Reason.LEVEL_TOO_FINE
    return None


def decide_public(
    *,
    dataset: DatasetRef,
    level: Level,
    on: date,
    grants: Iterable[Grant],
) -> Decision:
    """May the public (anyone, signed in or not) see `dataset` at `level`?

    Only under an agreement that is active and in date on `on`, names the dataset, has
    the use `public`, and whose finest level is no finer than `level`. Nobody is the
    owner here, recipients, roles and purposes play no part, and the agreement's
    disclosure policy always applies (the strictest, when several publish the dataset).
    """
    granting: list[Grant] = []
    closest: tuple[int, str, Reason] | None = None
    for grant in sorted(grants, key=lambda g: (g.agreement_ref, g.version)):
        if dataset.id not in grant.dataset_ids:
            continue
        failure = _first_public_failure(grant, level=level, on=on)
        if failure is None:
            granting.append(grant)
            continue
        candidate = (-_PUBLIC_CHECKS.index(failure), grant.agreement_ref, failure)
        if closest is None or candidate < closest:
            closest = candidate
    return _decided([(g, None) for g in granting], closest, Reason.PUBLIC_AGREEMENT)


_PUBLIC_CHECKS: tuple[Reason, ...] = (
    Reason.AGREEMENT_DRAFT,
    Reason.AGREEMENT_SUSPENDED,
    Reason.AGREEMENT_EXPIRED,
    Reason.AGREEMENT_NOT_STARTED,
    Reason.USE_NOT_PERMITTED,
    Reason.LEVEL_TOO_FINE,
)


def _first_public_failure(grant: Grant, *, level: Level, on: date) -> Reason | None:
    if grant.status is AgreementStatus.DRAFT:
        return Reason.AGREEMENT_DRAFT
    if grant.status is AgreementStatus.SUSPENDED:
        return Reason.AGREEMENT_SUSPENDED
    if grant.status is AgreementStatus.EXPIRED or on > grant.ends_on:
        return Reason.AGREEMENT_EXPIRED
    if on < grant.starts_on:
        return Reason.AGREEMENT_NOT_STARTED
    if Use.PUBLIC not in grant.uses:
        return Reason.USE_NOT_PERMITTED
    if level.is_finer_than(grant.finest_level):
        return Reason.LEVEL_TOO_FINE
    return None


def public_terms_problems(
    *, uses: Iterable[str], recipients: Iterable[str], roles: Iterable[str]
) -> dict[str, str]:
    """What is wrong with an agreement's terms as to the use `public` (field -> message).

    A public agreement publishes to everyone, under its own (usually stricter) policy:
    it has the one use `public` and names no recipient agencies or roles. Any other
    agreement shares with named recipients and roles."""
    uses, recipients, roles = set(uses), list(recipients), list(roles)
    if Use.PUBLIC.value in uses:
        problems = {}
        if uses != {Use.PUBLIC.value}:
            problems["uses"] = (
                "public cannot be combined with other uses: sharing with partners is "
                "its own agreement, with its own policy"
            )
        if recipients:
            problems["recipients"] = "a public agreement names no recipients (it is for everyone)"
        if roles:
            problems["roles"] = "a public agreement names no roles (it is for everyone)"
        return problems
    problems = {}
    if not recipients:
        problems["recipients"] = "name at least one recipient agency"
    if not roles:
        problems["roles"] = "name at least one role"
    return problems


def decide(
    *,
    viewer: Viewer,
    dataset: DatasetRef,
    level: Level,
    use: Use,
    purpose: str | None,
    on: date,
    grants: Iterable[Grant],
) -> Decision:
    """Gate 1 of DESIGN.md: may `viewer` see `dataset` at `level` for `use` and `purpose`?

    - A member of the owning agency (any role) sees the agency's own data, without
      disclosure control.
    - Anyone else needs an agreement that is active and in date on `on` (first and last
      day included), names one of their agencies as a recipient and their role there,
      the dataset, the use and the purpose, and whose finest level is no finer than
      `level`.
    - When several agreements grant, the strictest disclosure policy applies; ties go
      to the lowest reference, so the choice never depends on database order.
    - Use `public` is not for a viewer to ask: a public read is decided by
      `decide_public`, the same for everyone (a ValueError here, so no caller mixes
      the two up and an owner's unprotected view never reaches a public page).
    """
    if use is Use.PUBLIC:
        raise ValueError("use public is decided by decide_public, for everyone alike")
    for membership in viewer.memberships:
        if membership.agency_id == dataset.owner_agency_id:
            return Decision(allowed=True, reason=Reason.OWN_AGENCY, agency_id=membership.agency_id)

    granting: list[tuple[Grant, Membership]] = []
    closest: tuple[int, str, Reason] | None = None
    for grant in sorted(grants, key=lambda g: (g.agreement_ref, g.version)):
        if dataset.id not in grant.dataset_ids:
            continue
        for membership in sorted(viewer.memberships, key=lambda m: (m.agency_id, m.role)):
            if membership.agency_id not in grant.recipient_agency_ids:
                continue
            failure = _first_failure(
                grant, membership, level=level, use=use, purpose=purpose, on=on
            )
            if failure is None:
                granting.append((grant, membership))
                continue
            progress = _CHECKS.index(failure)
            candidate = (-progress, grant.agreement_ref, failure)
            if closest is None or candidate < closest:
                closest = candidate

    return _decided(granting, closest, Reason.AGREEMENT)


def _decided(
    granting: Sequence[tuple[Grant, Membership | None]],
    closest: tuple[int, str, Reason] | None,
    reason: Reason,
) -> Decision:
    """The decision from the agreements that grant (with the membership each grants to,
    none for the public): the strictest policy, ties to the lowest reference; else the
    refusal of the agreement that came closest; else no agreement."""
    if granting:
        grant, membership = min(
            granting, key=lambda gm: (_negated(gm[0].policy.strictness()), gm[0].agreement_ref)
        )
        return Decision(
            allowed=True,
            reason=reason,
            agency_id=membership.agency_id if membership is not None else None,
            agreement_ref=grant.agreement_ref,
            agreement_version=grant.version,
            policy=grant.policy,
            finest_level=grant.finest_level,
        )
    if closest is not None:
        return Decision(allowed=False, reason=closest[2])
    return Decision(allowed=False, reason=Reason.NO_AGREEMENT)


def _negated(key: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-k for k in key)


PUBLISHING_ROLES = frozenset({Role.DATA_STEWARD, Role.SERVICE})
RELEASE_READING_ROLES = frozenset({Role.DATA_STEWARD, Role.SERVICE, Role.INFORMATION_MANAGER})


def may_publish(viewer: Viewer, dataset: DatasetRef) -> bool:
    """Only the owning agency's data stewards and service accounts upload its releases
    (the ingest issue); agreements never grant publishing."""
    return any(
        m.agency_id == dataset.owner_agency_id and m.role in PUBLISHING_ROLES
        for m in viewer.memberships
    )


def may_read_releases(viewer: Viewer, dataset: DatasetRef) -> bool:
    """Upload reports are the owning agency's business: its stewards, service accounts
    and information managers."""
    return any(
        m.agency_id == dataset.owner_agency_id and m.role in RELEASE_READING_ROLES
        for m in viewer.memberships
    )


@dataclass(frozen=True, slots=True)
class Permission:
    """What one agreement (or ownership, when `agreement_ref` is None) lets a viewer do
    with a dataset today: for the catalogue a caller browses before asking."""

    agreement_ref: str | None
    uses: frozenset[Use]
    purposes: frozenset[str]
    finest_level: Level | None
    ends_on: date | None
    # the agreement's disclosure policy (None for the owning agency's own data)
    policy: DisclosurePolicy | None = None


def permissions(
    *, viewer: Viewer, dataset: DatasetRef, on: date, grants: Iterable[Grant]
) -> list[Permission]:
    """Every way `viewer` may read `dataset` on `on`, by the rules of `decide` short of
    the use, purpose and level of one request (those are listed instead)."""
    if any(m.agency_id == dataset.owner_agency_id for m in viewer.memberships):
        return [Permission(None, PARTNER_USES, frozenset(), None, None)]
    out = []
    for grant in sorted(grants, key=lambda g: (g.agreement_ref, g.version)):
        # Publication to the public grants a partner nothing beyond what anyone has.
        uses = grant.uses & PARTNER_USES
        if dataset.id not in grant.dataset_ids or not uses:
            continue
        if any(
            m.agency_id in grant.recipient_agency_ids
            and _first_failure(
                grant,
                m,
                level=grant.finest_level,
                use=min(uses),
                purpose=next(iter(sorted(grant.purposes)), None),
                on=on,
            )
            is None
            for m in viewer.memberships
        ):
            out.append(
                Permission(
                    grant.agreement_ref,
                    frozenset(uses),
                    grant.purposes,
                    grant.finest_level,
                    grant.ends_on,
                    grant.policy,
                )
            )
    return out

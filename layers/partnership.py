"""A partnership's set-up from one YAML file: agencies, users, datasets, agreements and
the partnership's priorities (performance review).

`check_partnership` validates the whole document first and returns every problem with
the path of the bad key (`agreements[2].finest_level: unknown level 'lsao21'`);
`apply_partnership` writes it in one transaction, updating in place. An agreement whose
terms differ from its current version gets a new version; the old one stays readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Model

from layers import audit
from layers.agreements import save_agreement_version, terms_of_version
from layers.domain.access import AgreementStatus, Role, Use, public_terms_problems
from layers.domain.disclosure.policy import DisclosurePolicy, WardMethod, ZeroPolicy
from layers.domain.periods import PeriodError, parse_period
from layers.models import (
    Agency,
    Agreement,
    Area,
    Dataset,
    GeographyLevel,
    Indicator,
    LegalBasis,
    Membership,
    Priority,
    PriorityTarget,
)
from layers.models.priority import PARTNERSHIP_LEVEL

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
USERNAME = re.compile(r"^[\w.@+-]{1,150}$")
TOP_KEYS = {"agencies", "users", "datasets", "agreements", "priorities"}
M = TypeVar("M", bound=Model)
POLICY_KEYS = {
    "min_count",
    "round_to",
    "min_denominator",
    "zero_policy",
    "secondary",
    "ward_method",
}


@dataclass(slots=True)
class Checked:
    problems: list[str] = field(default_factory=list)
    doc: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class _Checker:
    def __init__(self, doc: Any) -> None:
        self.raw = doc
        self.problems: list[str] = []
        self.levels = set(GeographyLevel.objects.values_list("slug", flat=True))
        self.agencies = set(Agency.objects.values_list("slug", flat=True))
        self.datasets = dict(Dataset.objects.values_list("slug", "owner__slug"))
        self.indicators = set(Indicator.objects.values_list("slug", flat=True))

    def bad(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def items(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        value = self.raw.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad(key, "must be a list")
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.bad(f"{key}[{i}]", "must be a mapping of keys to values")
            else:
                out.append((f"{key}[{i}]", item))
        return out

    def keys(self, path: str, item: dict[str, Any], required: set[str], optional: set[str]) -> bool:
        ok = True
        for key in sorted(required - set(item)):
            self.bad(f"{path}.{key}", "is required")
            ok = False
        for key in sorted(set(item) - required - optional):
            self.bad(
                f"{path}.{key}",
                f"unknown key (expected one of: {', '.join(sorted(required | optional))})",
            )
        return ok

    def text(self, path: str, value: Any, *, pattern: re.Pattern[str] | None = None) -> bool:
        if not isinstance(value, str) or not value.strip():
            self.bad(path, "must be non-empty text")
            return False
        if pattern is not None and not pattern.match(value):
            self.bad(
                path, f"{value!r} is not a valid identifier (lower-case letters, digits, - and _)"
            )
            return False
        return True

    def choice(self, path: str, value: Any, allowed: list[str], what: str) -> bool:
        if value not in allowed:
            self.bad(path, f"unknown {what} {value!r} (expected one of: {', '.join(allowed)})")
            return False
        return True

    def level(self, path: str, value: Any) -> None:
        if value not in self.levels:
            self.bad(path, f"unknown level {value!r}")

    def agency(self, path: str, value: Any) -> None:
        if value not in self.agencies:
            self.bad(path, f"unknown agency {value!r} (define it under agencies)")

    def day(self, path: str, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.bad(path, f"{value!r} is not a date (YYYY-MM-DD)")
        return None

    def names(self, path: str, value: Any, allowed: list[str] | None, what: str) -> list[str]:
        if not isinstance(value, list) or not value:
            self.bad(path, f"must be a non-empty list of {what}s")
            return []
        for i, entry in enumerate(value):
            if allowed is not None:
                self.choice(f"{path}[{i}]", entry, allowed, what)
            else:
                self.text(f"{path}[{i}]", entry, pattern=SLUG)
        return [str(v) for v in value]

    def check(self) -> None:
        if not isinstance(self.raw, dict):
            self.bad(
                "(top)", "the file must be a mapping with agencies, users, datasets, agreements"
            )
            return
        for key in sorted(set(self.raw) - TOP_KEYS):
            self.bad(key, f"unknown key (expected: {', '.join(sorted(TOP_KEYS))})")
        self.check_agencies()
        self.check_users()
        self.check_datasets()
        self.check_agreements()
        self.check_priorities()

    def check_agencies(self) -> None:
        seen: set[str] = set()
        kinds = [k.value for k in Agency.Kind]
        for path, item in self.items("agencies"):
            if not self.keys(path, item, {"slug", "name", "kind"}, set()):
                continue
            if self.text(f"{path}.slug", item["slug"], pattern=SLUG):
                if item["slug"] in seen:
                    self.bad(f"{path}.slug", f"duplicate agency {item['slug']!r}")
                seen.add(item["slug"])
                self.agencies.add(item["slug"])
            self.text(f"{path}.name", item["name"])
            self.choice(f"{path}.kind", item["kind"], kinds, "agency kind")

    def check_users(self) -> None:
        seen: set[str] = set()
        roles = [r.value for r in Role]
        for path, item in self.items("users"):
            optional = {
                "agency",
                "role",
                "memberships",
                "email",
                "first_name",
                "last_name",
                "default_purpose",
            }
            if not self.keys(path, item, {"username"}, optional):
                continue
            if self.text(f"{path}.username", item["username"], pattern=USERNAME):
                if item["username"] in seen:
                    self.bad(f"{path}.username", f"duplicate user {item['username']!r}")
                seen.add(item["username"])
            memberships: list[tuple[str, Any]] = []
            if "agency" in item or "role" in item:
                memberships.append((path, {"agency": item.get("agency"), "role": item.get("role")}))
            extra = item.get("memberships") or []
            if not isinstance(extra, list):
                self.bad(f"{path}.memberships", "must be a list of {agency, role}")
                extra = []
            memberships += [(f"{path}.memberships[{j}]", m) for j, m in enumerate(extra)]
            if not memberships:
                self.bad(path, "needs an agency and role (or a list of memberships)")
            for where, membership in memberships:
                if not isinstance(membership, dict):
                    self.bad(where, "must be a mapping with agency and role")
                    continue
                self.agency(f"{where}.agency", membership.get("agency"))
                self.choice(f"{where}.role", membership.get("role"), roles, "role")
            item["_memberships"] = [m for _, m in memberships]

    def check_datasets(self) -> None:
        themes = [t.value for t in Dataset.Theme]
        measures = [m.value for m in Indicator.Measure]
        polarities = [p.value for p in Indicator.Polarity]
        # The API names an indicator by its slug alone, so slugs are unique across datasets.
        taken = dict(Indicator.objects.values_list("slug", "dataset__slug"))
        slugs: set[str] = set()
        denominators: list[tuple[str, dict[str, Any]]] = []
        for path, item in self.items("datasets"):
            optional = {"description", "source", "licence", "simulated", "indicators"}
            if not self.keys(path, item, {"slug", "agency", "theme", "title", "level"}, optional):
                continue
            if self.text(f"{path}.slug", item["slug"], pattern=SLUG):
                self.datasets[item["slug"]] = item["agency"]
            self.agency(f"{path}.agency", item["agency"])
            self.choice(f"{path}.theme", item["theme"], themes, "theme")
            self.text(f"{path}.title", item["title"])
            self.level(f"{path}.level", item["level"])
            for j, ind in enumerate(item.get("indicators") or []):
                where = f"{path}.indicators[{j}]"
                if not isinstance(ind, dict):
                    self.bad(where, "must be a mapping")
                    continue
                if not self.keys(
                    where,
                    ind,
                    {"slug", "name", "measure"},
                    {"unit", "polarity", "summable", "multiplier", "denominator"},
                ):
                    continue
                if self.text(f"{where}.slug", ind["slug"], pattern=SLUG):
                    self.indicators.add(ind["slug"])
                    if ind["slug"] in slugs:
                        self.bad(f"{where}.slug", f"duplicate indicator {ind['slug']!r}")
                    elif taken.get(ind["slug"], item["slug"]) != item["slug"]:
                        self.bad(
                            f"{where}.slug",
                            f"indicator {ind['slug']!r} is already a dataset "
                            f"{taken[ind['slug']]!r} indicator (slugs are unique: the API "
                            "names indicators by slug)",
                        )
                    slugs.add(ind["slug"])
                self.text(f"{where}.name", ind["name"])
                self.choice(f"{where}.measure", ind["measure"], measures, "measure")
                if "polarity" in ind:
                    self.choice(f"{where}.polarity", ind["polarity"], polarities, "polarity")
                if "summable" in ind and not isinstance(ind["summable"], bool):
                    self.bad(f"{where}.summable", "must be true or false")
                if "denominator" in ind:
                    denominators.append((f"{where}.denominator", ind))
        # A denominator names an indicator of this file or one already loaded; checked
        # once every indicator of the file is known.
        known = slugs | set(taken)
        for where, ind in denominators:
            name = ind["denominator"]
            if not isinstance(name, str) or name not in known:
                self.bad(where, f"unknown indicator {name!r} (name an indicator's slug)")
            elif name == ind.get("slug"):
                self.bad(where, "an indicator cannot be its own denominator")
            elif ind.get("measure") != "count":
                self.bad(where, "only a count has a denominator (for its expected count)")

    def check_agreements(self) -> None:
        seen: set[str] = set()
        required = {
            "reference",
            "provider",
            "datasets",
            "purposes",
            "legal_basis",
            "finest_level",
            "uses",
            "disclosure",
            "starts_on",
            "ends_on",
            "status",
        }
        optional = {"title", "legal_basis_text", "review_on", "signatories", "marking"}
        for path, item in self.items("agreements"):
            # A public agreement (use public) names no recipients or roles; others must.
            is_public = isinstance(item.get("uses"), list) and Use.PUBLIC.value in item["uses"]
            needed = required if is_public else required | {"recipients", "roles"}
            if not self.keys(path, item, needed, optional | {"recipients", "roles"}):
                continue
            item["recipients"] = item.get("recipients") or []
            item["roles"] = item.get("roles") or []
            if is_public:
                for key, message in public_terms_problems(
                    uses=item["uses"], recipients=item["recipients"], roles=item["roles"]
                ).items():
                    self.bad(f"{path}.{key}", message)
            if self.text(f"{path}.reference", item["reference"]):
                if item["reference"] in seen:
                    self.bad(f"{path}.reference", f"duplicate agreement {item['reference']!r}")
                seen.add(item["reference"])
            self.agency(f"{path}.provider", item["provider"])
            for j, recipient in enumerate(
                []
                if is_public
                else self.names(f"{path}.recipients", item["recipients"], None, "agency")
            ):
                self.agency(f"{path}.recipients[{j}]", recipient)
            for j, slug in enumerate(
                self.names(f"{path}.datasets", item["datasets"], None, "dataset")
            ):
                owner = self.datasets.get(slug)
                if owner is None:
                    self.bad(f"{path}.datasets[{j}]", f"unknown dataset {slug!r}")
                elif owner != item["provider"]:
                    self.bad(
                        f"{path}.datasets[{j}]",
                        f"dataset {slug!r} belongs to {owner!r}, "
                        f"not the provider {item['provider']!r}",
                    )
            self.names(f"{path}.purposes", item["purposes"], None, "purpose")
            self.choice(
                f"{path}.legal_basis",
                item["legal_basis"],
                [c.value for c in LegalBasis],
                "legal basis",
            )
            if item["legal_basis"] == LegalBasis.OTHER and not item.get("legal_basis_text"):
                self.bad(f"{path}.legal_basis_text", "is required when legal_basis is other")
            if not is_public:
                self.names(f"{path}.roles", item["roles"], [r.value for r in Role], "role")
            self.level(f"{path}.finest_level", item["finest_level"])
            self.names(f"{path}.uses", item["uses"], [u.value for u in Use], "use")
            self.choice(
                f"{path}.status", item["status"], [s.value for s in AgreementStatus], "status"
            )
            starts = self.day(f"{path}.starts_on", item["starts_on"])
            ends = self.day(f"{path}.ends_on", item["ends_on"])
            if "review_on" in item:
                item["review_on"] = self.day(f"{path}.review_on", item["review_on"])
            if starts and ends and ends < starts:
                self.bad(f"{path}.ends_on", f"{ends} is before starts_on {starts}")
            item["starts_on"], item["ends_on"] = starts, ends
            self.check_policy(f"{path}.disclosure", item["disclosure"])

    def check_policy(self, path: str, value: Any) -> None:
        if not isinstance(value, dict):
            self.bad(
                path,
                "must be a mapping (min_count, round_to, min_denominator, zero_policy, secondary)",
            )
            return
        for key in sorted(set(value) - POLICY_KEYS):
            self.bad(
                f"{path}.{key}", f"unknown key (expected one of: {', '.join(sorted(POLICY_KEYS))})"
            )
        for key in ("min_count", "round_to", "min_denominator"):
            if key in value and (
                not isinstance(value[key], int) or isinstance(value[key], bool) or value[key] < 0
            ):
                self.bad(f"{path}.{key}", f"must be a whole number, 0 or more, not {value[key]!r}")
        if "zero_policy" in value:
            self.choice(
                f"{path}.zero_policy",
                value["zero_policy"],
                [z.value for z in ZeroPolicy],
                "zero policy",
            )
        if "secondary" in value and not isinstance(value["secondary"], bool):
            self.bad(f"{path}.secondary", "must be true or false")
        if "ward_method" in value:
            self.choice(
                f"{path}.ward_method",
                value["ward_method"],
                [w.value for w in WardMethod],
                "ward method",
            )

    def check_priorities(self) -> None:
        seen: set[str] = set()
        polarities = [p.value for p in Indicator.Polarity]
        optional = {"description", "polarity", "owner", "order", "targets"}
        for i, (path, item) in enumerate(self.items("priorities")):
            if not self.keys(path, item, {"slug", "title", "indicator"}, optional):
                continue
            if self.text(f"{path}.slug", item["slug"], pattern=SLUG):
                if item["slug"] in seen:
                    self.bad(f"{path}.slug", f"duplicate priority {item['slug']!r}")
                seen.add(item["slug"])
            self.text(f"{path}.title", item["title"])
            if item["indicator"] not in self.indicators:
                self.bad(f"{path}.indicator", f"unknown indicator {item['indicator']!r}")
            if "polarity" in item:
                self.choice(f"{path}.polarity", item["polarity"], polarities, "polarity")
            if item.get("owner") is not None:
                self.agency(f"{path}.owner", item["owner"])
            order = item.setdefault("order", i + 1)
            if not isinstance(order, int) or isinstance(order, bool) or order < 0:
                self.bad(f"{path}.order", f"must be a whole number, 0 or more, not {order!r}")
            targets = item.get("targets") or []
            if not isinstance(targets, list):
                self.bad(f"{path}.targets", "must be a list of targets")
                item["targets"] = []
                continue
            self.check_targets(f"{path}.targets", targets)

    def check_targets(self, path: str, targets: list[Any]) -> None:
        places: set[tuple[str, str]] = set()
        optional = {"level", "area", "at_most", "at_least", "period", "due_on"}
        for j, target in enumerate(targets):
            where = f"{path}[{j}]"
            if not isinstance(target, dict):
                self.bad(where, "must be a mapping (level, area, at_most or at_least, period)")
                continue
            if not self.keys(where, target, set(), optional):
                continue
            level = target.get("level", PARTNERSHIP_LEVEL)
            code = str(target.get("area") or "")
            if level == PARTNERSHIP_LEVEL:
                if code:
                    self.bad(f"{where}.area", "the partnership as a whole takes no area code")
            elif level not in self.levels:
                self.bad(f"{where}.level", f"unknown level {level!r} (or 'partnership')")
            elif not code:
                self.bad(f"{where}.area", f"is required for a target of a {level} area")
            elif not Area.objects.filter(level__slug=level, gss_code=code).exists():
                self.bad(f"{where}.area", f"no {level} area with code {code!r}")
            if (level, code) in places:
                self.bad(where, f"a second target for the same area ({level} {code}".strip() + ")")
            places.add((level, code))
            bounds = [k for k in ("at_most", "at_least") if k in target]
            if len(bounds) != 1:
                self.bad(where, "needs exactly one of at_most or at_least")
            for key in bounds:
                value = target[key]
                if not isinstance(value, int | float) or isinstance(value, bool):
                    self.bad(f"{where}.{key}", f"must be a number, not {value!r}")
            if "period" in target:
                try:
                    target["period"] = parse_period(str(target["period"])).code
                except PeriodError as error:
                    self.bad(f"{where}.period", f"{target['period']!r}: {error}")
            if "due_on" in target:
                target["due_on"] = self.day(f"{where}.due_on", target["due_on"])
            target["_place"] = (level, code)


def check_partnership(doc: Any) -> Checked:
    """Every problem in the document, each as `path: message`; nothing is written."""
    checker = _Checker(doc)
    checker.check()
    return Checked(problems=checker.problems, doc=doc if isinstance(doc, dict) else {})


@dataclass(slots=True)
class Applied:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def count(self, label: str, outcome: str) -> None:
        if outcome == "created":
            self.created.append(label)
        elif outcome == "updated":
            self.updated.append(label)
        else:
            self.unchanged += 1


SOURCE = "load_partnership"


def _upsert(
    model: type[M],
    lookup: dict[str, Any],
    values: dict[str, Any],
    *,
    what: str,
    label: dict[str, Any],
    agency_id: int | None,
    acting_user: User | None,
) -> tuple[M, str]:
    """Create or update one record, writing one audit event naming what changed (none when
    nothing did). Returns the record and "created", "updated" or "unchanged"."""
    obj = model.objects.filter(**lookup).first()  # type: ignore[attr-defined]
    if obj is None:
        obj = model.objects.create(**lookup, **values)  # type: ignore[attr-defined]
        if isinstance(obj, Agency):  # an agency's own events are filed under it
            agency_id = obj.pk
        audit.record(
            action=f"{what}.created",
            user=acting_user,
            agency_id=agency_id,
            detail={**label, "values": audit.plain(values), "source": SOURCE},
        )
        return obj, "created"
    changed = audit.changed_fields(obj, values)
    if not changed:
        return obj, "unchanged"
    if isinstance(obj, Agency):
        agency_id = obj.pk
    for name in changed:
        setattr(obj, name, values[name])
    obj.save(update_fields=list(changed))
    audit.record(
        action=f"{what}.updated",
        user=acting_user,
        agency_id=agency_id,
        detail={**label, "changed": changed, "source": SOURCE},
    )
    return obj, "updated"


def _terms(item: dict[str, Any]) -> dict[str, Any]:
    disclosure = dict(item["disclosure"])
    if "ward_method" in disclosure:
        disclosure["ward_method"] = WardMethod(disclosure["ward_method"])
    policy = DisclosurePolicy(**disclosure)
    return {
        "title": item.get("title") or item["reference"],
        "recipients": sorted(item["recipients"]),
        "datasets": sorted(item["datasets"]),
        "purposes": sorted(item["purposes"]),
        "legal_basis": item["legal_basis"],
        "legal_basis_text": item.get("legal_basis_text", ""),
        "roles": sorted(item["roles"]),
        "finest_level": item["finest_level"],
        "uses": sorted(item["uses"]),
        "min_count": policy.min_count,
        "round_to": policy.round_to,
        "min_denominator": policy.min_denominator,
        "zero_policy": str(policy.zero_policy),
        "secondary": policy.secondary,
        "ward_method": str(policy.ward_method),
        "starts_on": item["starts_on"],
        "ends_on": item["ends_on"],
        "review_on": item.get("review_on"),
        "status": item["status"],
        "signatories": item.get("signatories", ""),
        "marking": item.get("marking", "OFFICIAL-SENSITIVE"),
    }


@transaction.atomic
def apply_partnership(
    doc: dict[str, Any], *, acting_user: User | None = None, demo_password: str | None = None
) -> Applied:
    """Write a checked document. Call only when check_partnership found no problems.

    Every record created or changed gets its own audit event with what changed (old and
    new values); a record the file leaves as it is writes nothing.
    """
    done = Applied()
    for item in doc.get("agencies") or []:
        _, outcome = _upsert(
            Agency,
            {"slug": item["slug"]},
            {"name": item["name"], "kind": item["kind"]},
            what="agency",
            label={"agency": item["slug"]},
            agency_id=None,
            acting_user=acting_user,
        )
        done.count(f"agency {item['slug']}", outcome)
    agencies = {a.slug: a for a in Agency.objects.all()}
    for item in doc.get("users") or []:
        _apply_user(item, agencies, done, acting_user=acting_user, demo_password=demo_password)
    levels = {lv.slug: lv for lv in GeographyLevel.objects.all()}
    for item in doc.get("datasets") or []:
        owner = agencies[item["agency"]]
        dataset, outcome = _upsert(
            Dataset,
            {"slug": item["slug"]},
            {
                "owner": owner,
                "theme": item["theme"],
                "title": item["title"],
                "level": levels[item["level"]],
                "description": item.get("description", ""),
                "source": item.get("source", ""),
                "licence": item.get("licence", ""),
                "is_simulated": bool(item.get("simulated", False)),
            },
            what="dataset",
            label={"dataset": item["slug"]},
            agency_id=owner.id,
            acting_user=acting_user,
        )
        done.count(f"dataset {item['slug']}", outcome)
        for ind in item.get("indicators") or []:
            _, ind_outcome = _upsert(
                Indicator,
                {"dataset": dataset, "slug": ind["slug"]},
                {
                    "name": ind["name"],
                    "measure": ind["measure"],
                    "unit": ind.get("unit", ""),
                    "polarity": ind.get("polarity", Indicator.Polarity.NEUTRAL),
                    "is_summable": ind.get("summable", ind["measure"] == "count"),
                    "multiplier": ind.get("multiplier", 1),
                },
                what="indicator",
                label={"dataset": item["slug"], "indicator": ind["slug"]},
                agency_id=owner.id,
                acting_user=acting_user,
            )
            done.count(f"indicator {ind['slug']}", ind_outcome)
    # Denominators once every indicator exists (one may name an indicator further down).
    indicators = {i.slug: i for i in Indicator.objects.select_related("dataset__owner")}
    for item in doc.get("datasets") or []:
        for ind in item.get("indicators") or []:
            denominator = indicators.get(ind.get("denominator", ""))
            _, ind_outcome = _upsert(
                Indicator,
                {"slug": ind["slug"]},
                {"denominator_indicator": denominator},
                what="indicator",
                label={"dataset": item["slug"], "indicator": ind["slug"]},
                agency_id=agencies[item["agency"]].id,
                acting_user=acting_user,
            )
            label = f"indicator {ind['slug']}"
            if ind_outcome != "unchanged" and label not in done.created + done.updated:
                done.count(label, "updated")
    for item in doc.get("agreements") or []:
        agreement, created = Agreement.objects.get_or_create(
            reference=item["reference"], defaults={"provider": agencies[item["provider"]]}
        )
        terms = _terms(item)
        current = agreement.versions.order_by("-version").first()
        if current is not None and terms_of_version(current) == terms:
            done.unchanged += 1
            continue
        # save_agreement_version writes the agreement.version_created event.
        save_agreement_version(
            agreement, terms, acting_user=acting_user, note="loaded from partnership file"
        )
        (done.created if created else done.updated).append(f"agreement {item['reference']}")
    for item in doc.get("priorities") or []:
        _apply_priority(item, agencies, done, acting_user=acting_user)
    return done


def _apply_priority(
    item: dict[str, Any], agencies: dict[str, Agency], done: Applied, *, acting_user: User | None
) -> None:
    owner = agencies[item["owner"]] if item.get("owner") else None
    indicator = Indicator.objects.get(slug=item["indicator"])
    priority, outcome = _upsert(
        Priority,
        {"slug": item["slug"]},
        {
            "title": item["title"],
            "description": item.get("description", ""),
            "indicator": indicator,
            "polarity": item.get("polarity", ""),
            "owner": owner,
            "display_order": item["order"],
        },
        what="priority",
        label={"priority": item["slug"]},
        agency_id=owner.id if owner else None,
        acting_user=acting_user,
    )
    done.count(f"priority {item['slug']}", outcome)
    wanted: set[tuple[str, str]] = set()
    for target in item.get("targets") or []:
        level, code = target["_place"]
        wanted.add((level, code))
        comparison = "at_most" if "at_most" in target else "at_least"
        _, t_outcome = _upsert(
            PriorityTarget,
            {"priority": priority, "level": level, "area_code": code},
            {
                "value": float(target[comparison]),
                "comparison": comparison,
                "period_code": target.get("period", ""),
                "due_on": target.get("due_on"),
            },
            what="prioritytarget",
            label={"priority": item["slug"], "level": level, "area": code},
            agency_id=owner.id if owner else None,
            acting_user=acting_user,
        )
        done.count(f"target {item['slug']} {level} {code}".strip(), t_outcome)
    # A target the file no longer names is removed (and the removal audited).
    for gone in priority.targets.all():
        if (gone.level, gone.area_code) not in wanted:
            audit.record(
                action="prioritytarget.deleted",
                user=acting_user,
                agency_id=owner.id if owner else None,
                detail={
                    "priority": item["slug"],
                    "level": gone.level,
                    "area": gone.area_code,
                    "values": {"value": gone.value, "comparison": gone.comparison},
                    "source": SOURCE,
                },
            )
            gone.delete()
            done.updated.append(f"target {item['slug']} {gone.level} {gone.area_code}".strip())


def _apply_user(
    item: dict[str, Any],
    agencies: dict[str, Agency],
    done: Applied,
    *,
    acting_user: User | None,
    demo_password: str | None,
) -> None:
    wanted = {m["agency"]: m["role"] for m in item["_memberships"]}
    # A user event is filed under the user's first agency, so its information manager sees it.
    home = agencies[next(iter(wanted))].id if wanted else None
    user, outcome = _upsert(
        User,
        {"username": item["username"]},
        {k: item.get(k, "") for k in ("email", "first_name", "last_name")},
        what="user",
        label={"user": item["username"]},
        agency_id=home,
        acting_user=acting_user,
    )
    if outcome == "created":
        if demo_password:
            user.set_password(demo_password)
        else:
            user.set_unusable_password()
        user.save(update_fields=["password"])
    membership_changed = False
    for gone in Membership.objects.filter(user=user).exclude(agency__slug__in=list(wanted)):
        gone.delete()
        membership_changed = True
        audit.record(
            action="membership.deleted",
            user=acting_user,
            agency_id=gone.agency_id,
            detail={"user": user.username, "role": gone.role, "source": SOURCE},
        )
    for slug, role in wanted.items():
        _, m_outcome = _upsert(
            Membership,
            {"user": user, "agency": agencies[slug]},
            {"role": role, "default_purpose": item.get("default_purpose", "")},
            what="membership",
            label={"user": user.username, "agency": slug},
            agency_id=agencies[slug].id,
            acting_user=acting_user,
        )
        membership_changed |= m_outcome != "unchanged"
    if outcome == "unchanged" and membership_changed:
        outcome = "updated"
    done.count(f"user {item['username']}", outcome)

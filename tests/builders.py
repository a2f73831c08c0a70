"""Plain builders for test records (STYLE.md "Builders over factories")."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User

from layers.agreements import create_agreement
from layers.models import (
    Agency,
    Agreement,
    Area,
    Dataset,
    GeographyLevel,
    Indicator,
    Membership,
    Release,
)

PASSWORD = "a-test-password-1"


def make_agency(
    *, slug: str = "city-council", name: str = "City Council", kind: str = Agency.Kind.COUNCIL
) -> Agency:
    agency, _ = Agency.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})
    return agency


def make_member(username: str, agency: Agency, role: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, password=PASSWORD)
    Membership.objects.update_or_create(user=user, agency=agency, defaults={"role": role})
    return user


def make_dataset(*, slug: str = "recorded-crime", owner: Agency, level: str = "lsoa11") -> Dataset:
    dataset, _ = Dataset.objects.get_or_create(
        slug=slug,
        defaults={
            "owner": owner,
            "theme": "crime",
            "title": slug.replace("-", " ").title(),
            "level": GeographyLevel.objects.get(slug=level),
        },
    )
    return dataset


def agreement_terms(**overrides: Any) -> dict[str, Any]:
    terms: dict[str, Any] = {
        "title": "Crime data for community safety",
        "recipients": ["city-council"],
        "datasets": ["recorded-crime"],
        "purposes": ["community_safety"],
        "legal_basis": "crime_and_disorder_act_1998_s115",
        "legal_basis_text": "",
        "roles": ["analyst", "neighbourhood_manager", "service"],
        "finest_level": "lsoa11",
        "uses": ["api", "export", "map"],
        "min_count": 10,
        "round_to": 5,
        "min_denominator": 100,
        "zero_policy": "publish",
        "secondary": True,
        "ward_method": "sum_of_published",
        "starts_on": date(2025, 4, 1),
        "ends_on": date(2027, 3, 31),
        "review_on": date(2026, 10, 1),
        "status": "active",
        "signatories": "",
        "marking": "OFFICIAL-SENSITIVE",
    }
    terms.update(overrides)
    return terms


def make_agreement(
    *, reference: str = "ISA-2025-001", provider: Agency, **overrides: Any
) -> Agreement:
    return create_agreement(
        reference=reference, provider=provider, terms=agreement_terms(**overrides), acting_user=None
    )


def three_parties(**agreement: Any) -> dict[str, Any]:
    """Owner (police), recipient under an active agreement (council), outsider (fire);
    `agreement` overrides the agreement's terms (agreement_terms)."""
    police = make_agency(slug="city-police", name="City Police", kind="police")
    council = make_agency(slug="city-council", name="City Council", kind="council")
    fire = make_agency(slug="fire-rescue", name="Fire and Rescue", kind="fire")
    dataset = make_dataset(owner=police)
    agreement = make_agreement(provider=police, **agreement)
    return {
        "police": police,
        "council": council,
        "fire": fire,
        "dataset": dataset,
        "agreement": agreement,
        "police_im": make_member("pim", police, "information_manager"),
        "council_im": make_member("cim", council, "information_manager"),
        "fire_im": make_member("fim", fire, "information_manager"),
        "council_analyst": make_member("ana", council, "analyst"),
    }


def publish_rows(dataset: Dataset, rows: list[dict[str, Any]], directory: Any) -> Release:
    """Publish a long CSV (area_code, period, indicator, value[, numerator, denominator])
    through the real ingest pipeline, and return the dataset's current release."""
    from ingest.pipeline.run import run

    columns = ["area_code", "period", "indicator", "value"]
    if any("numerator" in row for row in rows):
        columns += ["numerator", "denominator"]
    path = directory / f"{dataset.slug}-{Release.objects.filter(dataset=dataset).count()}.csv"
    path.write_text(
        ",".join(columns)
        + "\n"
        + "".join(",".join(str(row.get(c, "")) for c in columns) + "\n" for row in rows)
    )
    result = run(path, dataset, commit=True)
    assert result.ok, result.render()
    return Release.objects.get(dataset=dataset, status="published")


SECRET = 7  # a withheld count (0 < 7 < min_count 10): it must never leave the system


def publish_crime(
    parties: dict[str, Any], directory: Any, *, secret: int = SECRET, scale: int = 1
) -> dict[str, Any]:
    """The police's crime release used by the profile, leak and matrix tests, over the
    demo LSOAs and two months:

    - `burglary`, a summable count: one LSOA holds SECRET (withheld for recipients),
      another has no row (no data);
    - `burglary-rate` per 1,000 households and `secured-pct` (households with approved
      locks, a percentage), each with numerator and denominator; in the SECRET LSOA
      both numerators are SECRET;
    - `risk-score`, a score that cannot be summed.

    `secret` replaces SECRET and `scale` multiplies every other figure (for a policy
    with a higher threshold, where a more distinctive secret can hide).
    """
    import numpy as np

    dataset = parties["dataset"]
    for slug, measure, extra in (
        ("burglary", "count", {"is_summable": True}),
        ("burglary-rate", "rate", {"multiplier": 1000, "unit": "per 1,000 households"}),
        ("secured-pct", "percentage", {"polarity": "higher_is_better"}),
        ("risk-score", "score", {}),
    ):
        fields = {"polarity": "lower_is_better", **extra}
        Indicator.objects.create(
            dataset=dataset,
            slug=slug,
            name=slug.replace("-", " ").title(),
            measure=measure,
            **fields,
        )
    codes = sorted(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))
    rng = np.random.default_rng(4)
    counts = {
        c: (int(n) + 20) * scale for c, n in zip(codes, rng.poisson(30, len(codes)), strict=True)
    }
    secret_code, missing_code = codes[10], codes[11]
    counts[secret_code] = secret
    del counts[missing_code]
    households = {
        c: int(n) * scale for c, n in zip(codes, rng.integers(600, 900, len(codes)), strict=True)
    }
    rows: list[dict[str, Any]] = []
    for period in ("2025-02", "2025-03"):
        for code, n in counts.items():
            den = households[code]
            secured = secret if code == secret_code else int(rng.integers(200, 580)) * scale
            rows += [
                {"area_code": code, "period": period, "indicator": "burglary", "value": n},
                {
                    "area_code": code,
                    "period": period,
                    "indicator": "burglary-rate",
                    "value": repr(n / den * 1000),
                    "numerator": n,
                    "denominator": den,
                },
                {
                    "area_code": code,
                    "period": period,
                    "indicator": "secured-pct",
                    "value": repr(secured / den * 100),
                    "numerator": secured,
                    "denominator": den,
                },
                {
                    "area_code": code,
                    "period": period,
                    "indicator": "risk-score",
                    "value": round(float(rng.uniform(0, 100)), 1),
                },
            ]
    release = publish_rows(dataset, rows, directory)
    return {
        "counts": counts,
        "households": households,
        "secret_code": secret_code,
        "missing_code": missing_code,
        "release": release,
    }


MONTHS = [f"2025-{m:02d}" for m in range(1, 10)]  # nine months: eight earlier periods


def build_scan_world(tmp_path: Any) -> dict[str, Any]:
    """Police own monthly burglary counts over the demo LSOAs; the council owns the
    population that is their denominator. The council receives burglary under the
    default agreement (min_count 10, round to 5, secondary suppression).

    - `secret`: a tiny population with 9 burglaries: far above expected, withheld (9 < 10)
      for the council;
    - `surge`: an ordinary area whose latest month is four times its usual count."""
    parties = three_parties()
    crime = Indicator.objects.create(
        dataset=parties["dataset"],
        slug="burglary",
        name="Burglary",
        measure="count",
        unit="burglaries",
        is_summable=True,
        polarity="lower_is_better",
    )
    people = make_dataset(slug="population", owner=parties["council"])
    population = Indicator.objects.create(
        dataset=people,
        slug="population",
        name="Total population",
        measure="count",
        is_summable=True,
    )
    crime.denominator_indicator = population
    crime.save()
    codes = sorted(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))
    assert len(codes) > 100, "the demo LSOAs are loaded"
    import numpy as np

    rng = np.random.default_rng(11)
    pop = {c: int(rng.integers(1200, 2400)) for c in codes}
    secret, surge = codes[30], codes[40]
    pop[secret] = 40
    rows = []
    for month in MONTHS:
        for code in codes:
            n = int(rng.poisson(pop[code] * 0.015))
            if code == secret:
                n = 9
            elif code == surge:
                n = 25 if month != MONTHS[-1] else 100
            rows.append({"area_code": code, "period": month, "indicator": "burglary", "value": n})
    publish_rows(parties["dataset"], rows, tmp_path)
    publish_rows(
        people,
        [
            {"area_code": c, "period": "2015", "indicator": "population", "value": n}
            for c, n in pop.items()
        ],
        tmp_path,
    )
    parties.update(
        secret=secret,
        surge=surge,
        paul=make_member("paul", parties["police"], "analyst"),
        fred=make_member("fred", parties["fire"], "analyst"),
    )
    return parties

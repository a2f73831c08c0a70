"""Rates and percentages at coarser levels, from summed numerators and denominators,
with disclosure (DISCLOSURE.md 1.5 rate rule): withheld when the numerator is withheld in
the protected count system, when the denominator is small, or when the complement is."""

from __future__ import annotations

import numpy as np
import pytest

from layers.domain.access import Use
from layers.domain.disclosure.audit import Equation, intervals
from layers.domain.disclosure.policy import DisclosurePolicy
from layers.domain.errors import ParamError
from layers.models import Area, GeographyLevel, Indicator, Lookup, Period
from layers.protection import protected_table, published_levels
from layers.read import read_values
from tests.builders import make_member, publish_rows, three_parties

pytestmark = pytest.mark.django_db

POLICY = DisclosurePolicy(min_count=10, round_to=0, min_denominator=100, secondary=True)
PER = 1000


@pytest.fixture
def world(settings, tmp_path):
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    Indicator.objects.create(
        dataset=parties["dataset"],
        slug="burglary-rate",
        name="Burglary rate",
        measure="rate",
        multiplier=PER,
    )
    Indicator.objects.create(
        dataset=parties["dataset"], slug="secured-pct", name="Secured", measure="percentage"
    )
    return parties


def lsoa_codes() -> list[str]:
    return sorted(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))


def publish(world, tmp_path, parts: dict[str, tuple[int, int]], *, slug="burglary-rate"):
    scale = PER if slug == "burglary-rate" else 100
    rows = [
        {
            "area_code": code,
            "period": "2025-03",
            "indicator": slug,
            "value": repr(num / den * scale),
            "numerator": num,
            "denominator": den,
        }
        for code, (num, den) in parts.items()
    ]
    return publish_rows(world["dataset"], rows, tmp_path)


def random_parts(seed: int = 5) -> dict[str, tuple[int, int]]:
    rng = np.random.default_rng(seed)
    codes = lsoa_codes()
    return {
        c: (int(n), int(d))
        for c, n, d in zip(
            codes, rng.poisson(14, len(codes)), rng.integers(600, 900, len(codes)), strict=True
        )
    }


def cells_of(release, slug="burglary-rate", policy=POLICY):
    return protected_table(
        release=release,
        indicator=Indicator.objects.get(slug=slug),
        period=Period.objects.get(code="2025-03"),
        policy=policy,
        finest_level=GeographyLevel.objects.get(slug="lsoa11"),
    ).cells


def parents(child: str, parent: str) -> dict[str, str]:
    return dict(
        Lookup.objects.filter(
            child_level__slug=child, parent_level__slug=parent, method="exact"
        ).values_list("child_code", "parent_code")
    )


def test_coarser_rates_are_ratios_of_summed_parts(world, tmp_path):
    parts = random_parts()
    cells = cells_of(publish(world, tmp_path, parts))
    assert set(cells) == {"lsoa11", "msoa11", "lad19", "partnership"}  # no wards
    msoa_of = parents("lsoa11", "msoa11")
    for msoa, (value, status, _, rounded_to) in cells["msoa11"].items():
        members = [c for c in parts if msoa_of[c] == msoa]
        num = sum(parts[c][0] for c in members)
        den = sum(parts[c][1] for c in members)
        if status == "shown":
            assert value == pytest.approx(num / den * PER) and rounded_to is None
    num, den = (sum(p[i] for p in parts.values()) for i in (0, 1))
    assert cells["partnership"]["ALL"][0] == pytest.approx(num / den * PER)


def test_small_numerators_are_withheld_and_cannot_be_recovered_from_coarser_rates(world, tmp_path):
    parts = random_parts()
    cells = cells_of(publish(world, tmp_path, parts))
    small = [c for c, (n, _) in parts.items() if 0 < n < 10]
    assert small, "the scenario must have small numerators"
    for code in small:
        assert cells["lsoa11"][code][:3] == [None, "withheld", "confidential"]
    # The attacker knows every denominator (say, households from the census) and every
    # shown rate, so every shown numerator; the hierarchy links them.
    msoa_of, lad_of = parents("lsoa11", "msoa11"), parents("msoa11", "lad19")
    den = {f"lsoa11:{c}": d for c, (_, d) in parts.items()}
    for c, m in msoa_of.items():
        den[f"msoa11:{m}"] = den.get(f"msoa11:{m}", 0) + parts[c][1]
    for m, d in lad_of.items():
        den[f"lad19:{d}"] = den.get(f"lad19:{d}", 0) + den[f"msoa11:{m}"]
    den["partnership:ALL"] = sum(p[1] for p in parts.values())
    values, hidden = {}, set()
    for level in ("lsoa11", "msoa11", "lad19", "partnership"):
        for code, (value, status, _, _) in cells[level].items():
            key = f"{level}:{code}"
            if status == "withheld":
                hidden.add(key)
            else:
                values[key] = value * den[key] / PER
    for code, (num, _) in parts.items():
        values.setdefault(f"lsoa11:{code}", num)
    for m in set(msoa_of.values()):
        values.setdefault(f"msoa11:{m}", sum(parts[c][0] for c in parts if msoa_of[c] == m))
    for d in set(lad_of.values()):
        values.setdefault(
            f"lad19:{d}", sum(values[f"msoa11:{m}"] for m in lad_of if lad_of[m] == d)
        )
    eqs = [
        Equation(f"msoa11:{m}", tuple(f"lsoa11:{c}" for c in parts if msoa_of[c] == m))
        for m in set(msoa_of.values())
    ]
    eqs += [
        Equation(f"lad19:{d}", tuple(f"msoa11:{m}" for m in lad_of if lad_of[m] == d))
        for d in set(lad_of.values())
    ]
    eqs.append(Equation("partnership:ALL", tuple(f"lad19:{d}" for d in set(lad_of.values()))))
    found = intervals(values, hidden, eqs)
    for code in small:
        assert found[f"lsoa11:{code}"].width >= 10 - 1e-9, code
    assert all(interval.width >= 1 - 1e-9 for interval in found.values())


def test_small_denominators_and_small_complements_are_withheld_with_a_complement(world, tmp_path):
    parts = random_parts()
    codes = lsoa_codes()
    msoa_of = parents("lsoa11", "msoa11")
    tiny, nearly_all = codes[0], next(c for c in codes if msoa_of[c] != msoa_of[codes[0]])
    parts[tiny] = (40, 60)  # denominator below 100
    parts[nearly_all] = (595, 600)  # complement 5 < 10
    for code in parts:
        if code not in (tiny, nearly_all) and parts[code][0] < 10:
            parts[code] = (12, parts[code][1])  # no other primary cells
    cells = cells_of(publish(world, tmp_path, parts))
    for code in (tiny, nearly_all):
        assert cells["lsoa11"][code][1] == "withheld"
        siblings = [c for c in parts if msoa_of[c] == msoa_of[code] and c != code]
        assert any(cells["lsoa11"][c][1] == "withheld" for c in siblings), code
        assert cells["msoa11"][msoa_of[code]][1] == "shown"


def test_percentages_get_the_same_treatment(world, tmp_path):
    parts = {c: (d // 2, d) for c, (_, d) in random_parts().items()}
    secret = lsoa_codes()[3]
    parts[secret] = (4, parts[secret][1])
    cells = cells_of(publish(world, tmp_path, parts, slug="secured-pct"), slug="secured-pct")
    assert cells["lsoa11"][secret][1] == "withheld"
    num, den = (sum(p[i] for p in parts.values()) for i in (0, 1))
    assert cells["partnership"]["ALL"][0] == pytest.approx(num / den * 100)


def test_without_parts_a_rate_stays_at_its_own_level(world, tmp_path):
    rows = [
        {"area_code": c, "period": "2025-03", "indicator": "burglary-rate", "value": 12.5}
        for c in lsoa_codes()
    ]
    release = publish_rows(world["dataset"], rows, tmp_path)
    indicator = Indicator.objects.get(slug="burglary-rate")
    level = world["dataset"].level
    assert [lv.slug for lv in published_levels(indicator, level, release)] == ["lsoa11"]
    assert set(cells_of(release)) == {"lsoa11"}
    with pytest.raises(ParamError, match="published at: lsoa11; not at msoa11"):
        read_values(
            world["council_analyst"],
            indicator="burglary-rate",
            level="msoa11",
            use=Use.API,
            purpose="community_safety",
        )


def test_rates_are_read_at_coarser_levels_through_the_read_path(world, tmp_path):
    release = publish(world, tmp_path, random_parts())
    indicator = Indicator.objects.get(slug="burglary-rate")
    levels = [lv.slug for lv in published_levels(indicator, world["dataset"].level, release)]
    assert levels == ["lsoa11", "msoa11", "lad19"]
    table = read_values(
        world["council_analyst"],
        indicator="burglary-rate",
        level="lad19",
        use=Use.API,
        purpose="community_safety",
    )
    assert len(table.rows) == 2 and all(r.status == "shown" for r in table.rows)
    with pytest.raises(ParamError, match="not at ward13"):
        read_values(
            world["council_analyst"],
            indicator="burglary-rate",
            level="ward13",
            use=Use.API,
            purpose="community_safety",
        )
    owner = make_member("paul", world["police"], "analyst")
    own = read_values(owner, indicator="burglary-rate", level="msoa11", use=Use.API, purpose=None)
    assert own.n_withheld == 0


def test_an_agreement_that_stops_at_msoa_gets_no_lsoa_rates(world, tmp_path):
    release = publish(world, tmp_path, random_parts())
    cells = protected_table(
        release=release,
        indicator=Indicator.objects.get(slug="burglary-rate"),
        period=Period.objects.get(code="2025-03"),
        policy=POLICY,
        finest_level=GeographyLevel.objects.get(slug="msoa11"),
    ).cells
    assert set(cells) == {"msoa11", "lad19", "partnership"}
    assert sum(1 for c in cells["msoa11"].values() if c[1] == "shown") > 80

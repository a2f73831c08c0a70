"""One published crime release shared by the API tests: police own it; the council
receives it under ISA-2025-001 (min_count 10, round to 5, LSOA and up); fire has no
agreement. One LSOA carries a small, distinctive count that must never leave."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from rest_framework.test import APIClient

from ingest.pipeline.run import run
from layers.models import Area, Indicator, Release
from layers.tokens import issue_token
from tests.builders import make_member, three_parties

SECRET = 7  # a withheld count: 0 < 7 < min_count


@pytest.fixture
def crime(settings, tmp_path) -> dict[str, Any]:
    settings.FILE_STORE = tmp_path / "store"
    parties = three_parties()
    Indicator.objects.create(
        dataset=parties["dataset"],
        slug="burglary",
        name="Burglary",
        measure="count",
        is_summable=True,
        polarity="lower_is_better",
    )
    codes = sorted(Area.objects.filter(level__slug="lsoa11").values_list("gss_code", flat=True))
    counts = dict(
        zip(
            codes,
            (int(n) + 20 for n in np.random.default_rng(4).poisson(30, len(codes))),
            strict=True,
        )
    )
    secret_code = codes[10]
    counts[secret_code] = SECRET
    missing_code = codes[11]
    del counts[missing_code]
    path = tmp_path / "crime.csv"
    path.write_text(
        "area_code,period,indicator,value\n"
        + "".join(
            f"{code},{period},burglary,{n}\n"
            for code, n in counts.items()
            for period in ("2025-02", "2025-03")
        )
    )
    result = run(path, parties["dataset"], commit=True)
    assert result.ok, result.render()
    parties.update(
        counts=counts,
        secret_code=secret_code,
        missing_code=missing_code,
        release=Release.objects.get(status="published"),
        police_analyst=make_member("paul", parties["police"], "analyst"),
        fire_analyst=make_member("fred", parties["fire"], "analyst"),
        council_feed=make_member("cfeed", parties["council"], "service"),
    )
    return parties


def token_client(user) -> APIClient:
    raw, _ = issue_token(user, days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client

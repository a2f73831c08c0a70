from __future__ import annotations

import csv
import io

import pytest

from layers import audit
from layers.models import Agreement, AuditEvent
from tests.builders import make_agreement, three_parties
from tests.signin import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def parties():
    return three_parties()


def as_user(client, username: str):
    return sign_in(client, username)


def form_data(**overrides):
    data = {
        "reference": "ISA-2026-010",
        "provider": "city-police",
        "title": "New sharing",
        "recipients": ["city-council"],
        "datasets": ["recorded-crime"],
        "purposes": "community_safety, violence_reduction",
        "legal_basis": "crime_and_disorder_act_1998_s115",
        "roles": ["analyst"],
        "finest_level": "msoa11",
        "uses": ["map"],
        "min_count": "10",
        "round_to": "5",
        "min_denominator": "100",
        "zero_policy": "publish",
        "secondary": "on",
        "ward_method": "sum_of_published",
        "starts_on": "2026-01-01",
        "ends_on": "2027-12-31",
        "review_on": "2026-12-01",
        "status": "active",
        "marking": "OFFICIAL-SENSITIVE",
        "change_note": "",
    }
    data.update(overrides)
    return data


def test_agreement_list_shows_provided_and_received_agreements(client, parties):
    for username in ("pim", "cim"):
        page = as_user(client, username).get("/agreements/").content.decode()
        assert "ISA-2025-001" in page


def test_agreement_pages_are_for_information_managers_only(client, parties):
    assert as_user(client, "ana").get("/agreements/").status_code == 403
    client.logout()
    assert client.get("/agreements/").status_code == 302  # to sign in


def test_agreement_of_other_agencies_is_404_for_an_outsider(client, parties):
    client = as_user(client, "fim")
    assert "ISA-2025-001" not in client.get("/agreements/").content.decode()
    assert client.get("/agreements/ISA-2025-001/").status_code == 404
    assert client.get("/agreements/ISA-2025-001/v1/").status_code == 404
    assert client.post("/agreements/ISA-2025-001/suspend/", {"reason": "x"}).status_code == 404


def test_a_draft_between_other_agencies_is_404_and_absent_from_lists(client, parties):
    """A draft is work in progress between its parties: another agency's information
    manager cannot open it, edit it, see it listed or find it in the due list."""
    make_agreement(
        reference="ISA-2026-DRAFT",
        provider=parties["police"],
        status="draft",
    )
    outsider = as_user(client, "fim")
    for url in ("/agreements/", "/agreements/?status=draft"):
        assert "ISA-2026-DRAFT" not in outsider.get(url).content.decode()
    for url in ("/agreements/ISA-2026-DRAFT/", "/agreements/ISA-2026-DRAFT/v1/"):
        assert outsider.get(url).status_code == 404
    edit = outsider.post("/agreements/ISA-2026-DRAFT/edit/", form_data(title="taken over"))
    assert edit.status_code == 404
    assert Agreement.objects.get(reference="ISA-2026-DRAFT").current.title != "taken over"
    client.logout()
    assert as_user(client, "cim").get("/agreements/ISA-2026-DRAFT/").status_code == 200


def test_recipient_may_read_but_not_change_an_agreement(client, parties):
    client = as_user(client, "cim")
    assert client.get("/agreements/ISA-2025-001/").status_code == 200
    assert client.get("/agreements/ISA-2025-001/edit/").status_code == 404
    assert client.post("/agreements/ISA-2025-001/suspend/", {"reason": "x"}).status_code == 404
    assert Agreement.objects.get(reference="ISA-2025-001").current.status == "active"


def test_create_agreement_from_the_form(client, parties):
    response = as_user(client, "pim").post("/agreements/new/", form_data())
    assert response.status_code == 302
    current = Agreement.objects.get(reference="ISA-2026-010").current
    assert current.version == 1
    assert current.purposes == ["community_safety", "violence_reduction"]
    assert current.finest_level.slug == "msoa11"


def test_create_a_public_agreement_from_the_form(client, parties):
    data = form_data(uses=["public"], purposes="informing_the_public", legal_basis="public_task")
    del data["recipients"], data["roles"]
    response = as_user(client, "pim").post("/agreements/new/", data)
    assert response.status_code == 302, response.content.decode()
    current = Agreement.objects.get(reference="ISA-2026-010").current
    assert current.uses == ["public"] and current.roles == []
    assert current.recipients.count() == 0
    page = client.get("/agreements/ISA-2026-010/").content.decode()
    assert "everyone: published to the public, no sign-in" in page


def test_agreement_form_keeps_public_apart_from_partner_uses(client, parties):
    response = as_user(client, "pim").post("/agreements/new/", form_data(uses=["map", "public"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "public cannot be combined with other uses" in page
    assert "a public agreement names no recipients" in page
    data = form_data()
    del data["recipients"], data["roles"]
    page = client.post("/agreements/new/", data).content.decode()
    assert "name at least one recipient agency" in page and "name at least one role" in page
    assert not Agreement.objects.filter(reference="ISA-2026-010").exists()


def test_create_agreement_form_names_each_bad_field(client, parties):
    response = as_user(client, "pim").post(
        "/agreements/new/",
        form_data(
            ends_on="2025-01-01", purposes="Community Safety!", min_count="-1", legal_basis="other"
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "ends before it starts" in page
    assert "list purposes as lower-case words" in page
    assert "greater than or equal to 0" in page
    assert "say what the legal basis is" in page
    assert not Agreement.objects.filter(reference="ISA-2026-010").exists()


def test_edit_makes_a_new_version_and_keeps_the_old_one_readable(client, parties):
    client = as_user(client, "pim")
    response = client.post(
        "/agreements/ISA-2025-001/edit/",
        form_data(reference="ISA-2025-001", min_count="8", change_note="NHS-style threshold"),
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get(reference="ISA-2025-001")
    assert agreement.current.version == 2 and agreement.current.min_count == 8
    old = client.get("/agreements/ISA-2025-001/v1/").content.decode()
    assert "counts below 10 withheld" in old
    assert "counts below 8 withheld" in client.get("/agreements/ISA-2025-001/").content.decode()


def test_edit_with_nothing_changed_makes_no_version(client, parties):
    client = as_user(client, "pim")
    current = Agreement.objects.get(reference="ISA-2025-001").current
    data = form_data(
        reference="ISA-2025-001",
        title=current.title,
        purposes="community_safety",
        roles=current.roles,
        uses=current.uses,
        finest_level="lsoa11",
        starts_on="2025-04-01",
        ends_on="2027-03-31",
        review_on="2026-10-01",
    )
    response = client.post("/agreements/ISA-2025-001/edit/", data)
    assert "Nothing changed" in response.content.decode()
    assert Agreement.objects.get(reference="ISA-2025-001").versions.count() == 1


def test_suspend_and_renew(client, parties):
    client = as_user(client, "pim")
    client.post("/agreements/ISA-2025-001/suspend/", {"reason": "breach under review"})
    agreement = Agreement.objects.get(reference="ISA-2025-001")
    assert agreement.current.status == "suspended"
    assert "breach under review" in agreement.current.change_note
    client.post(
        "/agreements/ISA-2025-001/renew/", {"ends_on": "2028-03-31", "review_on": "2027-10-01"}
    )
    current = Agreement.objects.get(reference="ISA-2025-001").current
    assert (current.status, str(current.ends_on), current.version) == ("active", "2028-03-31", 3)


def test_renew_refuses_an_end_before_the_start(client, parties):
    response = as_user(client, "pim").post(
        "/agreements/ISA-2025-001/renew/", {"ends_on": "2020-01-01"}
    )
    assert response.status_code == 400
    assert "must be after the agreement starts" in response.content.decode()


def test_due_list_shows_reviews_and_expiries_within_90_days(client, parties):
    from datetime import timedelta

    from django.utils import timezone

    from layers.agreements import edit_agreement, terms_of_version

    agreement = Agreement.objects.get(reference="ISA-2025-001")
    soon = timezone.localdate() + timedelta(days=30)
    edit_agreement(
        agreement,
        {**terms_of_version(agreement.current), "ends_on": soon, "review_on": None},
        acting_user=None,
        note="test",
    )
    page = as_user(client, "pim").get("/agreements/").content.decode()
    due = page[page.index('id="due-table"') : page.index("</table>", page.index('id="due-table"'))]
    assert "ISA-2025-001" in due and "expires" in due


def test_agreement_detail_shows_who_used_it(client, parties):
    audit.record(
        action="values.read",
        user=parties["council_analyst"],
        agency_id=parties["council"].id,
        agreement_ref="ISA-2025-001",
        agreement_version=1,
        use="map",
        purpose="community_safety",
        n_returned=192,
    )
    page = as_user(client, "pim").get("/agreements/ISA-2025-001/").content.decode()
    usage = page[page.index('id="usage-table"') :]
    assert "ana" in usage and "values.read" in usage and "192" in usage


def test_audit_search_filters_and_downloads_csv(client, parties):
    audit.record(
        action="values.read",
        user=parties["council_analyst"],
        agency_id=parties["council"].id,
        agreement_ref="ISA-2025-001",
        use="api",
        n_returned=5,
        n_withheld=2,
    )
    audit.record(action="values.read", agency_id=parties["fire"].id, agreement_ref="OTHER-1")
    client = as_user(client, "pim")
    page = client.get("/audit/", {"agreement": "ISA-2025-001", "user": "ana"}).content.decode()
    assert page.count("values.read") == 1
    assert "OTHER-1" not in client.get("/audit/").content.decode()  # not the police's business
    response = client.get("/audit/", {"agreement": "ISA-2025-001", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    reads = [r for r in rows if r["action"] == "values.read"]
    assert len(reads) == 1 and reads[0]["username"] == "ana" and reads[0]["n_withheld"] == "2"
    assert AuditEvent.objects.filter(action="audit.exported").exists()


def test_audit_search_rejects_a_bad_date_clearly(client, parties):
    page = as_user(client, "pim").get("/audit/", {"date_from": "yesterday"}).content.decode()
    assert "Enter a valid date" in page


def test_report_agreements_command_lists_what_is_due(parties):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("report_agreements", "--days", "100000", stdout=out)
    assert "ISA-2025-001" in out.getvalue()


def test_audit_trail_shows_what_a_change_changed(client, parties):
    audit.record(
        action="membership.updated",
        agency_id=parties["police"].id,
        detail={"user": "pam", "changed": {"role": ["analyst", "information_manager"]}},
    )
    client = as_user(client, "pim")
    page = client.get("/audit/", {"action": "membership."}).content.decode()
    assert "information_manager" in page and "pam" in page
    response = client.get("/audit/", {"action": "membership.", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert '"role": ["analyst", "information_manager"]' in rows[0]["detail"]


PDF_V1 = b"%PDF-1.7\n% signed by both parties, version one\n%%EOF\n"
PDF_V2 = b"%PDF-1.7\n% re-signed after the review\n%%EOF\n"


@pytest.fixture
def documents(settings, tmp_path):
    settings.DOCUMENT_STORE = tmp_path / "documents"
    return settings.DOCUMENT_STORE


def upload_document(client, content: bytes, name: str = "signed.pdf", **overrides):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/agreements/new/",
        form_data(signed_document=SimpleUploadedFile(name, content), **overrides),
    )


def test_signed_document_is_kept_outside_the_web_root_and_never_by_its_given_name(
    client, parties, documents
):
    from django.conf import settings as live

    response = upload_document(as_user(client, "pim"), PDF_V1, "../../etc/Signed Copy.pdf")
    assert response.status_code == 302
    stored = Agreement.objects.get(reference="ISA-2026-010").current.signed_document
    path = documents / stored.name
    assert path.read_bytes() == PDF_V1
    assert stored.name.startswith("agreements/isa-2026-010/") and "Signed" not in stored.name
    assert not str(path.resolve()).startswith(str(live.BASE_DIR / "static"))
    with pytest.raises(ValueError, match="never served by path"):
        stored.url  # noqa: B018


def test_signed_document_download_is_an_audited_attachment_for_those_who_may_see_it(
    client, parties, documents
):
    upload_document(as_user(client, "pim"), PDF_V1)
    for reader in ("pim", "cim"):  # provider's and recipient's information managers
        response = as_user(client, reader).get("/agreements/ISA-2026-010/v1/document/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF_V1
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            'attachment; filename="isa-2026-010-v1-signed.pdf"'
        )
        event = AuditEvent.objects.filter(action="agreement.document_downloaded").latest("id")
        assert (event.username, event.agreement_ref, event.agreement_version) == (
            reader,
            "ISA-2026-010",
            1,
        )
    assert AuditEvent.objects.filter(action="agreement.document_downloaded").count() == 2


def test_signed_document_is_404_for_outsiders_and_unknown_references_alike(
    client, parties, documents
):
    upload_document(as_user(client, "pim"), PDF_V1)
    for outsider in ("fim", "ana"):  # another agency's manager; a recipient's analyst
        client = as_user(client, outsider)
        assert client.get("/agreements/ISA-2026-010/v1/document/").status_code == 404
        assert client.get("/agreements/ISA-2099-999/v1/document/").status_code == 404
    client.logout()
    anonymous = client.get("/agreements/ISA-2026-010/v1/document/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert not AuditEvent.objects.filter(action="agreement.document_downloaded").exists()


def test_every_version_keeps_its_own_signed_document(client, parties, documents):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user(client, "pim")
    upload_document(client, PDF_V1)
    client.post(  # v2: terms change, no new document: the signed copy carries over
        "/agreements/ISA-2026-010/edit/",
        form_data(min_count="8", change_note="threshold"),
    )
    client.post(  # v3: re-signed
        "/agreements/ISA-2026-010/edit/",
        form_data(
            min_count="8",
            change_note="re-signed",
            signed_document=SimpleUploadedFile("new.pdf", PDF_V2),
        ),
    )
    assert Agreement.objects.get(reference="ISA-2026-010").current.version == 3

    def body(version: int) -> bytes:
        response = client.get(f"/agreements/ISA-2026-010/v{version}/document/")
        return b"".join(response.streaming_content)

    assert (body(1), body(2), body(3)) == (PDF_V1, PDF_V1, PDF_V2)
    assert client.get("/agreements/ISA-2026-010/v4/document/").status_code == 404


def test_a_signed_document_that_is_not_pdf_png_or_jpeg_is_refused(client, parties, documents):
    response = upload_document(as_user(client, "pim"), b"MZ\x90\x00 not a pdf", "signed.pdf")
    assert response.status_code == 200
    assert "must be a PDF, PNG or JPEG" in response.content.decode()
    assert not Agreement.objects.filter(reference="ISA-2026-010").exists()


def test_agreement_without_a_signed_document_has_nothing_to_download(client, parties, documents):
    assert as_user(client, "pim").get("/agreements/ISA-2025-001/v1/document/").status_code == 404


def test_a_signed_document_over_the_size_limit_is_refused(client, parties, documents, settings):
    settings.AGREEMENT_DOCUMENT_MAX_BYTES = 20
    response = upload_document(as_user(client, "pim"), PDF_V1)
    assert "the limit is 20 bytes" in response.content.decode()
    assert not Agreement.objects.filter(reference="ISA-2026-010").exists()

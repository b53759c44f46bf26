"""The official offer: the API's paged JSON from a small server on 127.0.0.1 that answers in
its shapes, the open-data CSV from ../shared, the comparison and the expert's one-click fixes."""

from __future__ import annotations

import csv
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from schoolbrug.audit.models import AuditEntry
from schoolbrug.enrolment import official
from schoolbrug.enrolment.models import AdministrativeGroup, LopSchool, Offer, SchoolType, Year
from schoolbrug.registry.models import Institution, Site

OFFERED = Path(__file__).resolve().parents[2] / ".." / "shared" / "flanders" / "offer"
OFFERED_CSV = OFFERED / "offered-groups-sample.csv"
KEY = "test-sleutel"
PER_PAGE = 10  # the server pages at 10 whatever `size` asks, so paging is exercised


def official_rows():
    with OFFERED_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class FakeApi(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if self.headers.get("x-api-key") != KEY:
            return self._send(
                401, [{"identificatie": "401", "diagnose": "sleutel", "type": "FOUT"}]
            )
        if url.path != "/onderwijsaanbod_so/v2/administratievegroep":
            return self._send(404, [])
        rows = [
            r
            for r in official_rows()
            if r["instellingsnummer"] == query.get("filter_instelling_nummer")
            and (
                "filter_instellingslocatie_vestigingsnummer" not in query
                or r["vestigingsplaats"] == query["filter_instellingslocatie_vestigingsnummer"]
            )
        ]
        page = int(query.get("page", "1"))
        chunk = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
        pages = max(1, -(-len(rows) // PER_PAGE))
        self._send(
            200,
            {
                "meta": {
                    "total_elements": len(rows),
                    "total_pages": pages,
                    "number": page,
                    "number_of_elements": len(chunk),
                    "size": PER_PAGE,
                    "first": page == 1,
                    "last": page >= pages,
                },
                "content": [
                    {
                        "administratievegroep_code": int(r["administratievegroep_code"]),
                        "administratievegroep_omschrijving": r["administratievegroep_omschrijving"],
                        "administratievegroep_onderwijsvorm": {"code": r["onderwijsvorm"]},
                    }
                    for r in chunk
                ],
                "links": [],
            },
        )

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SCHOOLBRUG_ONDERWIJS_API_URL = f"http://127.0.0.1:{server.server_port}"
    settings.SCHOOLBRUG_ONDERWIJS_API_KEY = KEY
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def pius(lop_world):
    return make_pius(lop_world)


def make_pius(lop_world):
    """Site 2 of institution 53331 (38 programmes officially) as a school of the LOP, with
    two programmes of the official offer and one that is not in it."""
    institution = Institution.objects.create(number="53331", name="Pius X")
    site = Site.objects.create(institution=institution, number="2", name="Bovenbouw")
    school = LopSchool.objects.create(
        lop=lop_world.lop, institution=institution, site=site, school_type=SchoolType.SO
    )
    for code, name in ((43056, "Architecturale vorming KSO"), (43062, "Bedrijfsorganisatie TSO")):
        group = AdministrativeGroup.objects.create(code=code, name=name)
        Offer.objects.create(school=school, year=Year.NEXT, group=group)
    Offer.objects.create(school=school, year=Year.NEXT, group=lop_world.groups[6247])
    return school


def expected_codes(number="53331", site="2"):
    return {
        int(r["administratievegroep_code"])
        for r in official_rows()
        if r["instellingsnummer"] == number and (site is None or r["vestigingsplaats"] == site)
    }


def test_the_api_is_read_page_by_page(api, pius):
    offered = official.fetch_api(pius)
    assert set(offered) == expected_codes() and len(offered) == 38
    assert offered[43056].startswith("1e leerjaar in de 3e graad Architecturale vorming")


def test_a_wrong_key_is_a_dutch_error(api, pius, settings):
    settings.SCHOOLBRUG_ONDERWIJS_API_KEY = "fout"
    with pytest.raises(official.OfficialError, match="fout 401"):
        official.fetch_api(pius)


def test_the_csv_gives_the_same_and_a_whole_institution_combines_its_sites(pius):
    data = OFFERED_CSV.read_bytes()
    assert set(official.read_csv(data, pius)) == expected_codes()
    whole = LopSchool(lop=pius.lop, institution=pius.institution, school_type=SchoolType.SO)
    assert set(official.read_csv(data, whole)) == expected_codes(site=None)


def test_the_comparison_marks_missing_and_extra(pius):
    lines = official.compare(pius, Year.NEXT, official.read_csv(OFFERED_CSV.read_bytes(), pius))
    states = {line.code: line.state for line in lines}
    assert states[43056] == states[43062] == "both"
    assert states[6247] == "extra"
    assert [c for c, s in states.items() if s == "missing"] == sorted(
        expected_codes() - {43056, 43062},
        key=lambda c: [line.code for line in lines].index(c),
    )
    assert len(lines) == 39


def test_the_expert_compares_adds_and_removes_in_one_click(api, pius, client, lop_world):
    client.force_login(lop_world.expert)
    url = f"/aanmelden/noordrand/beheer/scholen/{pius.pk}/vergelijken/"
    assert client.post(url, {"action": "fetch"}).status_code == 302
    page = client.get(url).content.decode()
    assert page.count('class="missing"') == 36 and page.count('class="extra"') == 1
    client.post(f"{url}?jaar=next", {"action": "add", "code": "43064"})
    added = Offer.objects.get(school=pius, year=Year.NEXT, group__code=43064)
    assert "Beeldende vorming" in added.group.name  # the official name for a new code
    extra = Offer.objects.get(school=pius, year=Year.NEXT, group__code=6247)
    client.post(f"{url}?jaar=next", {"action": "remove", "offer": extra.pk})
    assert not Offer.objects.filter(pk=extra.pk).exists()
    actions = set(
        AuditEntry.objects.filter(entity="offer", actor="deskundige@lop.example").values_list(
            "action", flat=True
        )
    )
    assert actions == {"create", "delete"}


def test_a_school_admin_may_not_compare(pius, client, lop_world):
    client.force_login(lop_world.admins["so"])
    url = f"/aanmelden/noordrand/beheer/scholen/{pius.pk}/vergelijken/"
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("code", ["123456", "-5", "99999999999"])
def test_a_code_the_official_offer_does_not_name_is_not_added(api, pius, client, lop_world, code):
    from schoolbrug.enrolment.models import AdministrativeGroup, Offer

    client.force_login(lop_world.expert)
    url = f"/aanmelden/noordrand/beheer/scholen/{pius.pk}/vergelijken/"
    assert client.post(url, {"action": "fetch"}).status_code == 302
    groups, offers = AdministrativeGroup.objects.count(), Offer.objects.count()
    response = client.post(f"{url}?jaar=next", {"action": "add", "code": code}, follow=True)
    assert "staat niet in het officiële aanbod" in response.content.decode()
    assert (AdministrativeGroup.objects.count(), Offer.objects.count()) == (groups, offers)

"""Journey: the Lạc Sơn district secretary logs in, opens the unit tree and the committee, appoints a member,
sees the roster and the audit entry, then switches the UI to English and back. Screenshots in var/screenshots/."""

import re

import pytest

from steerdesk.orgs.models import Committee, Membership, Person

from .conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_secretary_appoints_a_member_and_sees_roster_and_history(page, demo, shot):
    base = demo
    committee = Committee.objects.get(name__icontains="Lạc Sơn")
    new_name = "Hà Thị Thu Trang"

    # The login page is Vietnamese although the browser asks for English.
    page.goto(f"{base}/accounts/login/")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    shot(page, "roster-01-login")
    login(page, base, "lacson.thuky")
    shot(page, "roster-02-dashboard")

    # Unit tree: expand Lạc Sơn's sub-units with htmx; the neighbouring district is nowhere.
    page.locator("nav.sidenav a[href='/orgs/units/']").click()
    page.wait_for_url(f"{base}/orgs/units/")
    node = page.locator("details.tree-node").first
    node.locator("summary").click()
    page.wait_for_selector("details.tree-node[open] ul li a[href^='/orgs/units/'][href$='/']")
    assert "Mai Châu" not in page.content()
    shot(page, "roster-03-unit-tree")

    # Add a new person to the district (fictional), as a secretary does before appointing them.
    page.goto(f"{base}/orgs/units/{committee.unit_id}/people/add/")
    page.locator("main form input[name=full_name]").fill(new_name)
    page.locator("main form input[name=title]").fill("Chuyên viên Phòng Văn hóa và Thông tin")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".message-success")
    candidate = Person.objects.get(full_name=new_name)
    assert (candidate.family_name, candidate.middle_name, candidate.given_name) == ("Hà", "Thị Thu", "Trang")

    # Committee page through the committee list.
    page.locator("nav.sidenav a[href='/orgs/committees/']").click()
    page.get_by_role("link", name=committee.name).click()
    page.wait_for_url(f"{base}/orgs/committees/{committee.pk}/")
    assert page.locator("h1").inner_text().strip() == committee.name
    shot(page, "roster-04-committee")

    # Appoint the candidate as a member with a decision reference.
    form = page.locator("#appoint form")
    form.locator("select[name=person]").select_option(str(candidate.pk))
    form.locator("select[name=role]").select_option("member")
    form.locator("input[name=decision_ref]").fill("Quyết định số 99/QĐ-BCĐ")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/orgs/committees/{committee.pk}/"))
    page.wait_for_selector(".message-success")

    assert Membership.objects.filter(committee=committee, person=candidate, end_date__isnull=True).exists()
    roster = page.locator("main").inner_text()
    assert candidate.full_name in roster
    history = page.locator("section.history")
    assert "Lịch sử" in history.locator("h2").inner_text()
    assert candidate.full_name in history.inner_text()
    assert "Quyết định số 99/QĐ-BCĐ" in history.inner_text()
    shot(page, "roster-05-appointed")

    # Switch to English and back.
    page.locator("form.lang-switch button[value=en]").click()
    page.wait_for_selector("section.history h2:text('History')")
    assert page.locator("html").get_attribute("lang") == "en"
    shot(page, "roster-06-english")
    page.locator("form.lang-switch button[value=vi]").click()
    page.wait_for_selector("section.history h2:text('Lịch sử')")
    assert page.locator("html").get_attribute("lang") == "vi"

    assert page.csp_errors == []


def test_the_neighbouring_district_is_out_of_reach(page, demo, shot):
    base = demo
    other = Committee.objects.get(name__icontains="Mai Châu")
    login(page, base, "lacson.thuky")
    response = page.goto(f"{base}/orgs/committees/{other.pk}/")
    assert response.status == 404
    shot(page, "scope-01-neighbour-404")
    page.goto(f"{base}/orgs/committees/")
    assert "Mai Châu" not in page.locator("main").inner_text()
    assert page.csp_errors == []

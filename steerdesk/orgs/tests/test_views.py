"""Pages: permissions (anonymous → login, outsider → 404, viewer → 403 on writes) and one behaviour each."""

import datetime

import pytest
from django.urls import reverse

from steerdesk.orgs.models import Committee, Membership, OrgUnit, Person
from steerdesk.orgs.tests.factories import MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db


def read_urls(tree, person):
    return [
        reverse("orgs:unit_detail", args=[tree.district_a.pk]),
        reverse("orgs:committee_detail", args=[tree.committee_a.pk]),
        reverse("orgs:person_detail", args=[person.pk]),
    ]


def write_urls(tree, membership):
    a = tree.district_a.pk
    return [
        (reverse("orgs:unit_create", args=[a]), "admin"),
        (reverse("orgs:unit_edit", args=[a]), "admin"),
        (reverse("orgs:unit_move", args=[tree.commune_a1.pk]), "admin"),
        (reverse("orgs:unit_deactivate", args=[a]), "admin"),
        (reverse("orgs:committee_create", args=[a]), "secretary"),
        (reverse("orgs:committee_edit", args=[tree.committee_a.pk]), "secretary"),
        (reverse("orgs:person_create", args=[a]), "secretary"),
        (reverse("orgs:person_edit", args=[membership.person.pk]), "secretary"),
        (reverse("orgs:membership_appoint", args=[tree.committee_a.pk]), "secretary"),
        (reverse("orgs:membership_end", args=[membership.pk]), "secretary"),
        (reverse("orgs:membership_replace", args=[membership.pk]), "secretary"),
    ]


@pytest.fixture
def membership(tree, person_a):
    return MembershipFactory(committee=tree.committee_a, person=person_a, role="head")


def test_anonymous_users_are_sent_to_login(client, tree, membership):
    urls = read_urls(tree, membership.person) + [u for u, _r in write_urls(tree, membership)]
    urls += [
        reverse("orgs:unit_tree"),
        reverse("orgs:committee_list"),
        reverse("orgs:person_list"),
        reverse("orgs:import"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"], url


def test_outsiders_get_404_on_every_object_page(client_for, tree, users, membership):
    c = client_for(users.outsider)
    for url in read_urls(tree, membership.person):
        assert c.get(url).status_code == 404, url
    for url, _role in write_urls(tree, membership):
        assert c.get(url).status_code in (404,), url
        assert c.post(url, {}).status_code == 404, url


def test_viewers_get_403_on_every_write(client_for, tree, users, membership):
    c = client_for(users.viewer)
    for url, _role in write_urls(tree, membership):
        assert c.post(url, {}).status_code == 403, url
    assert Membership.objects.get(pk=membership.pk).end_date is None


def test_secretaries_get_403_on_unit_admin_pages(client_for, tree, users, membership):
    c = client_for(users.owner)
    for url, role in write_urls(tree, membership):
        if role == "admin":
            assert c.get(url).status_code == 403, url


def test_viewers_see_pages_without_write_buttons(client_for, tree, users, membership):
    c = client_for(users.viewer)
    page = c.get(reverse("orgs:committee_detail", args=[tree.committee_a.pk])).content.decode()
    assert "Nguyễn Văn An" in page
    assert reverse("orgs:membership_end", args=[membership.pk]) not in page
    assert reverse("orgs:membership_appoint", args=[tree.committee_a.pk]) not in page
    owner_page = client_for(users.owner).get(reverse("orgs:committee_detail", args=[tree.committee_a.pk]))
    assert reverse("orgs:membership_end", args=[membership.pk]) in owner_page.content.decode()


# --- units -------------------------------------------------------------------------------------------------


def test_tree_starts_at_the_scope_roots_and_opens_without_javascript(client_for, tree, users):
    c = client_for(users.owner)
    page = c.get(reverse("orgs:unit_tree")).content.decode()
    page = page[page.index('id="unit-tree"') :]
    assert "Huyện Lạc Sơn" in page and "Tỉnh Hòa Bình" not in page and "Huyện Mai Châu" not in page
    assert "Xã Vũ Bình" not in page  # collapsed: a link to open it instead
    assert f"?open={tree.district_a.pk}" in page
    opened = c.get(reverse("orgs:unit_tree") + f"?open={tree.district_a.pk}").content.decode()
    assert "Xã Vũ Bình" in opened


def test_unit_children_fragment_for_htmx_and_redirect_otherwise(client_for, tree, users):
    c = client_for(users.owner)
    url = reverse("orgs:unit_children", args=[tree.district_a.pk])
    fragment = c.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "Xã Vũ Bình" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    plain = c.get(url)
    assert plain.status_code == 302 and plain["Location"].endswith(f"?open={tree.district_a.pk}")


def test_admin_creates_a_child_unit_and_is_redirected(client_for, tree, users):
    c = client_for(users.admin)
    response = c.post(
        reverse("orgs:unit_create", args=[tree.district_a.pk]), {"name": "Xã Tân Lập", "kind": "commune"}
    )
    unit = OrgUnit.objects.get(name="Xã Tân Lập")
    assert response.status_code == 302 and response["Location"] == unit.get_absolute_url()
    assert unit.parent == tree.district_a


def test_a_stale_version_reshows_the_form_with_the_conflict(client_for, tree, users):
    c = client_for(users.admin)
    url = reverse("orgs:unit_edit", args=[tree.commune_a1.pk])
    data = {"name": "Xã A", "kind": "commune", "version": 1}
    assert c.post(url, data).status_code == 302
    response = c.post(url, {**data, "name": "Xã B"})
    assert response.status_code == 400
    assert "Người khác đã thay đổi dữ liệu này" in response.content.decode()  # shown in Vietnamese
    assert OrgUnit.objects.get(pk=tree.commune_a1.pk).name == "Xã A"


def test_admin_moves_a_unit_within_their_scope(client_for, tree, users):
    target = OrgUnit.objects.create(
        name="Xã đích", parent=tree.district_a, path=tree.district_a.path + "0009", depth=2
    )
    c = client_for(users.admin)
    response = c.post(
        reverse("orgs:unit_move", args=[tree.commune_a1.pk]), {"new_parent": target.pk, "version": 1}
    )
    assert response.status_code == 302
    assert OrgUnit.objects.get(pk=tree.commune_a1.pk).parent == target


def test_deactivate_with_active_children_shows_the_reason(client_for, tree, users):
    c = client_for(users.admin)
    response = c.post(reverse("orgs:unit_deactivate", args=[tree.district_a.pk]), {"version": 1})
    assert response.status_code == 400 and "các đơn vị cấp dưới" in response.content.decode()


# --- committees, people, memberships ------------------------------------------------------------------------


def test_secretary_creates_a_committee(client_for, tree, users):
    c = client_for(users.owner)
    response = c.post(
        reverse("orgs:committee_create", args=[tree.district_a.pk]),
        {"name": "Ban Chỉ đạo 138", "established_on": "05/02/2020"},
    )
    committee = Committee.objects.get(name="Ban Chỉ đạo 138")
    assert response.status_code == 302 and committee.established_on == datetime.date(2020, 2, 5)


def test_committee_list_searches_without_diacritics(client_for, tree, users):
    page = client_for(users.owner).get(reverse("orgs:committee_list"), {"q": "lac son"}).content.decode()
    assert "Ban Chỉ đạo 35 huyện Lạc Sơn" in page


def test_secretary_creates_and_edits_a_person(client_for, tree, users):
    c = client_for(users.owner)
    response = c.post(
        reverse("orgs:person_create", args=[tree.district_a.pk]), {"full_name": "Hoàng Phủ Ngọc Tường"}
    )
    person = Person.objects.get(full_name="Hoàng Phủ Ngọc Tường")
    assert response.status_code == 302 and person.family_name == "Hoàng Phủ"
    data = {
        "full_name": "Hoàng Phủ Ngọc Tường",
        "family_name": "Hoàng Phủ",
        "middle_name": "Ngọc",
        "given_name": "Tường",
        "title": "Nhà văn",
        "version": person.version,
    }
    assert c.post(reverse("orgs:person_edit", args=[person.pk]), data).status_code == 302
    person.refresh_from_db()
    assert person.title == "Nhà văn" and person.is_active is False  # unchecked box


def test_appoint_from_the_committee_page(client_for, tree, users, person_a):
    c = client_for(users.owner)
    response = c.post(
        reverse("orgs:membership_appoint", args=[tree.committee_a.pk]),
        {"person": person_a.pk, "role": "head", "start_date": "01/03/2024", "decision_ref": "45/QĐ-BCĐ"},
    )
    assert response.status_code == 302
    m = Membership.objects.get(committee=tree.committee_a, person=person_a)
    assert m.role == "head" and m.start_date == datetime.date(2024, 3, 1)


def test_a_second_head_reshows_the_committee_page_with_the_error(client_for, tree, users, membership):
    other = PersonFactory(home_unit=tree.district_a)
    response = client_for(users.owner).post(
        reverse("orgs:membership_appoint", args=[tree.committee_a.pk]), {"person": other.pk, "role": "head"}
    )
    assert response.status_code == 400
    assert "đã có Trưởng ban đương nhiệm" in response.content.decode()


def test_end_and_replace_a_membership(client_for, tree, users, membership):
    c = client_for(users.owner)
    successor = PersonFactory(full_name="Đỗ Thị Hoa", home_unit=tree.district_a)
    response = c.post(
        reverse("orgs:membership_replace", args=[membership.pk]),
        {"new_person": successor.pk, "date": datetime.date.today().strftime("%d/%m/%Y"), "version": 1},
    )
    assert response.status_code == 302
    new = Membership.objects.get(person=successor)
    assert new.role == "head" and Membership.objects.get(pk=membership.pk).end_date is not None
    response = c.post(
        reverse("orgs:membership_end", args=[new.pk]), {"reason": "Chuyển công tác", "version": 1}
    )
    assert response.status_code == 302 and Membership.objects.get(pk=new.pk).end_reason == "Chuyển công tác"
    page = c.get(reverse("orgs:committee_detail", args=[tree.committee_a.pk])).content.decode()
    assert "<details" in page and "Chuyển công tác" in page  # past members behind the toggle


def test_person_page_lists_memberships_over_time(client_for, tree, users, person_a):
    MembershipFactory(
        committee=tree.committee_a,
        person=person_a,
        role="deputy",
        start_date=datetime.date(2019, 1, 1),
        end_date=datetime.date(2020, 1, 1),
    )
    MembershipFactory(
        committee=tree.committee_a, person=person_a, role="head", start_date=datetime.date(2020, 1, 2)
    )
    page = client_for(users.viewer).get(reverse("orgs:person_detail", args=[person_a.pk])).content.decode()
    assert "01/01/2019" in page and "02/01/2020" in page


# --- query budget ------------------------------------------------------------------------------------------


def render_committee_page(user, committee):
    """The committee page's own work — view, selectors, template and context processors — without the
    per-request middleware (session, authentication, two-factor), whose queries every page pays alike."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from steerdesk.accounts.models import User
    from steerdesk.orgs.views import CommitteeDetailView

    request = RequestFactory().get(reverse("orgs:committee_detail", args=[committee.pk]))
    request.user = User.objects.get(pk=user.pk)  # fresh: no cached grants
    request.session = SessionStore()
    return request, lambda: CommitteeDetailView.as_view()(request, pk=committee.pk)


@pytest.mark.parametrize("size", [5, 60])
def test_committee_page_stays_within_its_query_budget(
    tree, users, fill_roster, size, django_assert_max_num_queries
):
    fill_roster(tree.committee_a, size)
    _request, render_page = render_committee_page(users.owner, tree.committee_a)
    with django_assert_max_num_queries(12):
        response = render_page()
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("/orgs/memberships/") >= 2 * size  # an end and a replace link per current member


@pytest.mark.parametrize("size", [5, 60])
def test_a_full_committee_page_request_runs_at_most_12_queries(client_for, tree, users, fill_roster, size):
    """The whole request — session, user, grants, two-factor gate, unit switcher, breadcrumb, page — counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fill_roster(tree.committee_a, size)
    c = client_for(users.owner)
    url = reverse("orgs:committee_detail", args=[tree.committee_a.pk])
    c.get(url)  # the first request of a session records its clocks and two-factor state
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    queries = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(queries) <= 12, "\n".join(queries)

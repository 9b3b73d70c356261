from django.contrib.auth.models import Group, Permission

from accounts.roles import ROLE_PERMISSIONS, Role, has_role


def test_the_three_role_groups_exist_after_migrate(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_learners_hold_no_model_permission(db):
    assert not Group.objects.get(name=Role.LEARNER.value).permissions.exists()


def test_instructors_hold_exactly_their_listed_permissions(db):
    group = Group.objects.get(name=Role.INSTRUCTOR.value)
    held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert held == set(ROLE_PERMISSIONS[Role.INSTRUCTOR])


def test_admins_hold_every_permission(db):
    group = Group.objects.get(name=Role.ADMIN.value)
    assert group.permissions.count() == Permission.objects.count()


def test_an_admin_is_staff_and_has_the_admin_role(ada):
    assert ada.is_staff
    assert has_role(ada, Role.ADMIN)
    assert not has_role(ada, Role.LEARNER)


def test_a_learner_is_not_staff(alice):
    assert not alice.is_staff
    assert has_role(alice, Role.LEARNER)


def test_a_signed_in_page_reads_the_user_with_their_roles_in_one_query(
    client, ivan, django_assert_max_num_queries
):
    client.force_login(ivan)
    with django_assert_max_num_queries(20) as captured:
        response = client.get("/exams/manage/")
    assert response.status_code == 200  # the instructor's page: the role was read
    sqls = [q["sql"].replace('"', "") for q in captured.captured_queries]
    user_queries = [sql for sql in sqls if "FROM auth_user " in sql or "FROM auth_user\n" in sql]
    assert len(user_queries) == 1 and "auth_user_groups" in user_queries[0]
    assert [sql for sql in sqls if "auth_user_groups" in sql] == user_queries


def test_a_role_taken_away_counts_from_the_next_request(client, ivan):
    client.force_login(ivan)
    assert client.get("/exams/manage/").status_code == 200
    ivan.groups.remove(Group.objects.get(name=Role.INSTRUCTOR.value))
    assert client.get("/exams/manage/").status_code == 403

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

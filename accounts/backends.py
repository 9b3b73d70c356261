"""Authentication: Django's ModelBackend, but a signed-in user is loaded with their roles in
one query. Every page asks for both (the navigation shows what the roles allow), and the groups
were a second query on each of them. The query is written out once: it runs on every request,
and the ORM spent longer building it (three EXISTS subqueries) than the database running it."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import connections, router

from accounts.roles import Role, remember_roles

# Table and column names come from the models' meta; every value is a parameter.
_USER_WITH_ROLES = "SELECT {columns}, {flags} FROM {users} u WHERE u.{pk} = %s"
_ROLE_FLAG = (
    "EXISTS (SELECT 1 FROM {memberships} m JOIN {groups} g ON g.id = m.{group}"
    " WHERE m.{member} = u.{pk} AND g.name = %s)"
)


@cache
def _user_with_roles_sql() -> tuple[str, list[str]]:
    """The SELECT of one user by id with a 0/1 column per role, and the user's attnames."""
    user_model = get_user_model()
    through = user_model.groups.through._meta
    pk = user_model._meta.pk.column
    flag = _ROLE_FLAG.format(
        memberships=through.db_table,
        groups=Group._meta.db_table,
        group=through.get_field("group").column,
        member=through.get_field("user").column,
        pk=pk,
    )
    fields = user_model._meta.concrete_fields
    sql = _USER_WITH_ROLES.format(
        columns=", ".join(f"u.{field.column}" for field in fields),
        flags=", ".join(flag for _role in Role),
        users=user_model._meta.db_table,
        pk=pk,
    )
    return sql, [field.attname for field in fields]


class RoleLoadingBackend(ModelBackend):
    def get_user(self, user_id: int) -> AbstractBaseUser | None:
        user_model = get_user_model()
        sql, attnames = _user_with_roles_sql()
        alias = router.db_for_read(user_model)
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except Exception:  # a session holding something that is not an id: signed out
            return None
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [*(role.value for role in Role), pk])
            row = cursor.fetchone()
        if row is None:
            return None
        values, flags = row[: len(attnames)], row[len(attnames) :]
        user = user_model.from_db(alias, attnames, _converted(alias, user_model, values))
        if not self.user_can_authenticate(user):
            return None
        remember_roles(user, {role for role, flag in zip(Role, flags, strict=True) if flag})
        return user


def _converted(alias: str, user_model, values) -> list:
    """Values as the ORM would hand them over: SQLite gives naive datetimes (or text) and
    integers for booleans."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        return list(values)
    converted = []
    for field, value in zip(user_model._meta.concrete_fields, values, strict=True):
        column = field.get_col(field.model._meta.db_table)
        for converter in connection.ops.get_db_converters(column):
            value = converter(value, column, connection)
        converted.append(value)
    return converted

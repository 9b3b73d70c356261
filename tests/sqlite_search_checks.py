"""Run in a subprocess on a SQLite database (see test_qa_search_on_sqlite.py): checks of the
FTS5 index that print one JSON object. Not a test module itself."""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402

from courses import queries  # noqa: E402
from courses.models import QAItem  # noqa: E402

result: dict = {"vendor": connection.vendor}
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'courses_qaitem_fts%'"
    )
    rows = cursor.fetchall()
result["fts5_table"] = any(t == "table" and "fts5" in (sql or "").lower() for t, _n, sql in rows)
result["triggers"] = sorted(n for t, n, _sql in rows if t == "trigger")
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM courses_qaitem_fts")
    result["indexed"] = cursor.fetchone()[0]
result["items"] = QAItem.objects.count()

course = queries.get_live_course("deep-learning")


def ids(text: str) -> list[int]:
    # The page caches rankings for a minute; the index itself is checked here.
    caches[queries.CONTENT_CACHE].clear()
    return queries.qa_results(course, queries.QAFilter(query=text), None).page.paginator.object_list


result["same_for_case_and_yo"] = ids("сверточные сети") == ids("Свёрточные СЕТИ")
result["cnn_first"] = [
    q
    for q in QAItem.objects.filter(pk__in=ids("сверточные сети")[:4]).values_list(
        "question", flat=True
    )
]
odd = ['"', "*", "NEAR", "сеть NEAR обучение", "OR", "AND NOT", "question : сеть", "(((",
       "<script>x</script>", "x" * 10_000, "'; DROP TABLE courses_qaitem; --", "и что",
       "^сеть"]  # fmt: skip
result["odd_ok"] = all(len(ids(text)) >= 0 for text in odd)  # none raises

# The triggers keep the index in step with writes.
item = QAItem.objects.filter(collection__courses=course).first()
item.question = "Что такое квазиоптимальная фильтрация?"
item.save()
result["found_after_update"] = ids("квазиоптимальные") == [item.pk]
QAItem.objects.filter(pk=item.pk).update(question="Иное")
result["gone_after_update"] = ids("квазиоптимальные") == []
clone = QAItem.objects.get(pk=item.pk)
clone.pk, clone.seed_key, clone.answer = None, "test:fts-clone", "Гиперквазиоптимальность."
clone.save()
result["found_after_insert"] = ids("гиперквазиоптимальность") == [clone.pk]
clone.delete()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM courses_qaitem_fts WHERE rowid = %s", [clone.pk])
    result["gone_after_delete"] = cursor.fetchone()[0] == 0
print(json.dumps(result, ensure_ascii=False))

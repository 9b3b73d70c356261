"""search_recall_at_10_<vendor>: how well the Q&A search finds what a person expects.

Each query below was written with the questions a learner typing it would expect to find,
named by the start of their text in the seeds (not by ids, which differ between databases).
Recall@10 is the share of those items in the first ten results of the course's bank, averaged
over the queries. The bench reports it on PostgreSQL (in process) and on SQLite (a fresh
database in a subprocess: migrate, import the seeds, run the same queries); a test checks it
against a floor on the test database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
TOP = 10


@dataclass(frozen=True)
class RelevanceQuery:
    course: str
    text: str
    expected: tuple[str, ...]  # starts of the questions a person expects in the top ten


DL, MLE = "deep-learning", "ml-engineer"
QUERIES = (
    RelevanceQuery(DL, "сверточные сети", (
        "Что такое свёрточные нейронные сети (CNN)",
        "Что такое сверточная нейронная сеть (CNN)",
        "Опишите архитектуру типичной сверточной",
        "Что такое слои объединения",
        "Почему свёрточные нейросети оказались лучше",
    )),
    RelevanceQuery(DL, "градиентный спуск", (
        "В чем разница между стохастическим градиентным спуском",
        "Какова цель скорости обучения при оптимизации градиентного",
        "Опишите роль импульса в алгоритмах оптимизации градиентного",
    )),
    RelevanceQuery(DL, "Градиентный Спуск", (
        "В чем разница между стохастическим градиентным спуском",
        "Какова цель скорости обучения при оптимизации градиентного",
        "Опишите роль импульса в алгоритмах оптимизации градиентного",
    )),
    RelevanceQuery(DL, "dropout", (
        "Что такое dropout",
        "Объясните цель регуляризации выпадения",
        "Какова роль отсевающих слоев",
    )),
    RelevanceQuery(DL, "batch normalization", (
        "Что такое batch normalization",
        "Что такое пакетная нормализация",
        "Как работает метод Layer Normalization",
    )),
    RelevanceQuery(DL, "ResNet", ("Как работают residual connection",)),
    RelevanceQuery(DL, "рекуррентная нейронная сеть", (
        "Как работают рекуррентные нейронные сети",
        "Что такое рекуррентные нейронные сети (RNN)",
        "Опишите структуру базовой рекуррентной",
        "Объясните проблемы, связанные с обучением рекуррентных",
    )),
    RelevanceQuery(DL, "LSTM", (
        "Чем LSTM отличается от классической RNN",
        "В чем разница между простой RNN и сетью с долговременной",
    )),
    RelevanceQuery(DL, "переобучение", (
        "Что такое переобучение и как с ним бороться",
        "Что такое переобучение и как его можно предотвратить",
        "Каковы некоторые распространенные методы снижения переобучения",
        "Какова роль отсевающих слоев в предотвращении переобучения",
    )),
    RelevanceQuery(DL, "функция активации", (
        "Какие существуют популярные функции активации",
        "Дайте определение функциям активации",
    )),
    RelevanceQuery(DL, "обратное распространение ошибки", (
        "Как работает алгоритм обратного распространения ошибки",
        "Что такое обратное распространение",
    )),
    RelevanceQuery(DL, "механизм внимания", (
        "Как работает attention mechanism",
        "Как работает механизм self-attention",
        "Дайте определение механизмам внимания",
    )),
    RelevanceQuery(DL, "трансформеры", (
        "Что такое Transformer и как он работает",
        "Что вы знаете про визуальные трансформеры",
    )),
    RelevanceQuery(DL, "генеративно-состязательные сети", (
        "Объясните концепцию генеративно-состязательных сетей",
        "Как устроены GAN",
        "Как происходит обучение GAN",
    )),
    RelevanceQuery(DL, "автоэнкодеры", (
        "Что такое автоэнкодеры",
        "Что такое VAE и как он отличается от GAN",
    )),
    RelevanceQuery(DL, "transfer learning", (
        "Что такое transfer learning и как его применять",
        "Дайте определение трансферному обучению",
    )),
    RelevanceQuery(DL, "скорость обучения", (
        "Какова цель скорости обучения",
        "Что такое learning rate scheduling",
    )),
    RelevanceQuery(DL, "оптимизаторы", (
        "Что такое оптимизаторы и какие из них",
        "Какие алгоритмы оптимизации обычно используются",
    )),
    RelevanceQuery(DL, "функция потерь", (
        "Какие типы loss-функций используются",
        "Какие функции потерь обычно используются",
    )),
    RelevanceQuery(DL, "ONNX", ("Что такое onnx и зачем он нужен",)),
    RelevanceQuery(DL, "аугментация данных", (
        "Что такое data augmentation",
        "Что такое аугментация данных",
    )),
    RelevanceQuery(DL, "насыщение нейрона", (
        "Что означает «насыщение нейрона»",
        "Что такое эффект насыщения (saturation) нейрона",
    )),
    RelevanceQuery(DL, "гиперпараметры", (
        "Как проводится hyperparameter tuning",
        "Объясните концепцию гиперпараметров",
        "Объясните концепцию настройки гиперпараметров",
        "Перечислите гиперапараметры",
    )),
    RelevanceQuery(DL, "обучение с подкреплением", (
        "Что вы знаете про обучение с подкреплением",
        "Что такое on-policy и off-policy",
    )),
    RelevanceQuery(MLE, "дрейф модели", (
        "Что такое model drift",
        "Что такое drift detection",
    )),
    RelevanceQuery(MLE, "мониторинг модели в production", (
        "Как организовать мониторинг ML-модели в production",
        "Какие инструменты используются для построения real-time dashboards",
    )),
    RelevanceQuery(MLE, "feature store", (
        "Что такое feature store",
        "Как реализовать масштабируемый feature store",
    )),
    RelevanceQuery(MLE, "CI/CD", (
        "Что такое CI/CD для ML",
        "Как организовать CI/CD для ML-проектов",
    )),
)  # fmt: skip


def evaluate() -> dict:
    """Recall@10 per query and on average, on the database Django is connected to."""
    from courses import queries
    from courses.models import QAItem

    per_query = []
    for query in QUERIES:
        course = queries.get_live_course(query.course)
        bank = queries.course_qa_items(course)
        expected = set()
        for start in query.expected:
            ids = list(bank.filter(question__startswith=start).values_list("id", flat=True))
            if len(ids) != 1:
                raise ValueError(f"{start!r} names {len(ids)} items of {query.course}, not one")
            expected.add(ids[0])
        results = queries.qa_results(course, queries.QAFilter(query=query.text), None)
        top = [item.pk for item in results.page.object_list[:TOP]]
        found = len(expected & set(top))
        first = QAItem.objects.filter(pk__in=top[:1]).values_list("question", flat=True)
        per_query.append(
            {
                "query": query.text,
                "course": query.course,
                "expected": len(expected),
                "found": found,
                "recall": found / len(expected),
                "first": (list(first) or [""])[0][:80],
            }
        )
    mean = sum(row["recall"] for row in per_query) / len(per_query)
    return {"recall_at_10": round(mean, 3), "queries": per_query}


def evaluate_on_sqlite(seeded: Path | None = None) -> dict:
    """The same figures on a fresh SQLite database (the one-command start's), or on a copy of
    `seeded`, one migrated with the seeds imported."""
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp, "relevance.sqlite3")
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "DATABASE_URL": f"sqlite:///{database}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        if seeded is not None:
            shutil.copyfile(seeded, database)
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "-v0"], ["import_seeds"]) if seeded is None else ():
            subprocess.run(
                [*manage, *command], cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
                timeout=300,
            )  # fmt: skip
        output = subprocess.run(
            [sys.executable, "-m", "bench.search_relevance"], cwd=PROJECT_DIR, env=env,
            check=True, capture_output=True, text=True, timeout=300,
        ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def run() -> dict:
    """The bench entry: PostgreSQL here (the seeds imported into the bench database), SQLite in
    a subprocess."""
    from django.conf import settings
    from django.db import connection

    from courses.models import QAItem
    from seeds.loader import default_seed_paths, import_parsed, parse_paths

    if not QAItem.objects.exists():
        import_parsed(parse_paths(default_seed_paths(settings.SEED_DATA_DIR)))
    figures = {}
    for vendor, result in ((connection.vendor, evaluate()), ("sqlite", evaluate_on_sqlite())):
        misses = [q["query"] for q in result["queries"] if q["recall"] < 1]
        figures[f"search_recall_at_10_{vendor}"] = {
            "value": result["recall_at_10"],
            "unit": "recall@10",
            "baseline": 1.0,
            "baseline_unit": "(every expected item in the top ten)",
            "queries": len(result["queries"]),
            "not_all_found": misses,
        }
    return figures


if __name__ == "__main__":  # run by evaluate_on_sqlite with DATABASE_URL set
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    print(json.dumps(evaluate(), ensure_ascii=False))

"""The course list, the home page's courses and a course's syllabus page: visible to visitors,
live rows only, a fixed number of queries, 404 for a course that is not there."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from assessments.models import PracticalTask, TicketTheoryQuestion
from courses.models import CaseStudy, Course, Outcome, QAItem, SyllabusTopic
from seeds.loader import import_parsed, parse_paths
from tests.quiz_factories import QuizFactory
from tests.seed_files import ALL_SEEDS


@pytest.fixture(scope="module")
def seeds(django_db_setup, django_db_blocker):
    """The four seed documents, imported once for the module and rolled back after it; each
    test runs in a savepoint inside."""
    with django_db_blocker.unblock(), transaction.atomic():
        import_parsed(parse_paths(ALL_SEEDS))
        yield
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeds")]


def live_qa_count(slug: str) -> int:
    return QAItem.objects.live().filter(collection__courses__slug=slug).count()


def test_visitors_see_both_courses_with_their_counts(client):
    QuizFactory(course=Course.objects.get(slug="deep-learning"), is_published=True)
    QuizFactory(course=Course.objects.get(slug="deep-learning"), is_published=False)
    body = client.get("/courses/").content.decode()
    assert "Специалист по глубокому обучению (Профессиональный уровень)" in body
    assert "Machine Learning Engineer (Профессиональный уровень)" in body
    assert 'href="/courses/deep-learning/"' in body and 'href="/courses/ml-engineer/"' in body
    assert f"Банк вопросов: <strong>{live_qa_count('deep-learning')}</strong>" in body
    assert f"Банк вопросов: <strong>{live_qa_count('ml-engineer')}</strong>" in body
    assert "Открытые тесты: <strong>1</strong>" in body  # the draft is not counted
    assert "Открытые тесты: <strong>0</strong>" in body


def test_the_home_page_lists_the_courses_to_visitors_and_learners(client, alice):
    for _ in range(2):
        body = client.get("/").content.decode()
        assert 'href="/courses/deep-learning/"' in body
        assert 'href="/courses/ml-engineer/"' in body
        assert 'href="/courses/">Курсы</a>' in body
        client.force_login(alice)


def test_the_course_list_takes_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        assert client.get("/courses/").status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get("/").status_code == 200


def test_the_syllabus_groups_outcomes_into_know_and_can(client):
    body = client.get("/courses/deep-learning/").content.decode()
    assert "Основы глубокого обучения: DNN, CNN, RNN, LSTM, Transformer." in body
    know = body.index("<h4>Знать</h4>")
    can = body.index("<h4>Уметь</h4>")
    assert know < body.index("Архитектуры современных нейронных сетей") < can
    assert can < body.index("Проектировать, обучать и оптимизировать нейросетевые модели.")
    assert "Базовое знание Python, линейной алгебры" in body  # requirements


def test_the_course_page_links_to_every_section(client):
    from labs.models import Lab

    course = Course.objects.get(slug="ml-engineer")
    Lab.objects.create(
        slug="mle-lab", title="Лаба MLE", course=course, statement="s", starter_code="",
        catalog_hash="x",
    )  # fmt: skip
    body = client.get("/courses/ml-engineer/").content.decode()
    for href in (
        "/courses/ml-engineer/questions/",
        "/courses/ml-engineer/cases/1/",
        "/courses/ml-engineer/cases/2/",
        "/courses/ml-engineer/roleplays/4/",
        "/courses/ml-engineer/mindmaps/3/",
        "/courses/ml-engineer/reading/",
        "/labs/mle-lab/",
        "/quizzes/",
    ):
        assert f'href="{href}"' in body, href
    assert "Формат" in body  # this course has a learning format, the other a requirement


def test_the_course_page_takes_the_same_number_of_queries_with_more_content(
    client, alice, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(alice)
    # The page's content is cached for a minute, and so is the session: what is counted here is
    # building it, both times from an empty cache.
    for cache in caches.all():
        cache.clear()
    with django_assert_max_num_queries(16) as small:
        client.get("/courses/deep-learning/")
    course = Course.objects.get(slug="deep-learning")
    case = CaseStudy.objects.filter(course=course).first()
    for number in range(3, 13):
        case.pk, case.seed_key, case.number = None, f"extra-case-{number}", number
        case.save()
    for _ in range(5):
        QuizFactory(course=course, is_published=True)
    for cache in caches.all():
        cache.clear()
    with django_assert_num_queries(len(small.captured_queries)):
        body = client.get("/courses/deep-learning/").content.decode()
    assert "/courses/deep-learning/cases/12/" in body
    # Served from the cache, the page costs only the visitor's own queries.
    with django_assert_max_num_queries(len(small.captured_queries) - 10):
        assert (
            "/courses/deep-learning/cases/12/"
            in client.get("/courses/deep-learning/").content.decode()
        )


def test_retired_rows_are_hidden_from_the_course_page(client):
    course = Course.objects.get(slug="deep-learning")
    now = timezone.now()
    retired_topic = SyllabusTopic.objects.filter(course=course).order_by("position").first()
    SyllabusTopic.objects.filter(pk=retired_topic.pk).update(retired_at=now)
    retired_topic = retired_topic.text
    Outcome.objects.filter(course=course, category="знать").update(retired_at=now)
    CaseStudy.objects.filter(course=course, number=2).update(retired_at=now)
    body = client.get("/courses/deep-learning/").content.decode()
    assert retired_topic not in body
    assert "<h4>Знать</h4>" not in body and "<h4>Уметь</h4>" in body
    assert "/courses/deep-learning/cases/1/" in body
    assert "/courses/deep-learning/cases/2/" not in body
    assert client.get("/courses/deep-learning/cases/2/").status_code == 404


def test_a_course_that_is_not_there_is_404_on_every_page(client, alice):
    client.force_login(alice)
    Course.objects.filter(slug="ml-engineer").update(retired_at=timezone.now())
    for slug in ("no-such-course", "ml-engineer"):
        for tail in ("", "questions/", "cases/1/", "roleplays/1/", "mindmaps/1/", "reading/"):
            assert client.get(f"/courses/{slug}/{tail}").status_code == 404, (slug, tail)
    assert "ml-engineer" not in client.get("/courses/").content.decode()


def test_course_pages_never_show_exam_tickets_or_reference_answers(client, ivan):
    client.force_login(ivan)  # even an instructor sees the learners' pages
    pages = "".join(
        client.get(url).content.decode()
        for url in ("/courses/deep-learning/", "/courses/deep-learning/reading/",
                    "/courses/deep-learning/cases/1/", "/courses/deep-learning/roleplays/1/")
    )  # fmt: skip
    theory = TicketTheoryQuestion.objects.filter(ticket__course__slug="deep-learning")
    answers = [q.reference_answer[:60] for q in theory if len(q.reference_answer) > 40]
    tasks = PracticalTask.objects.filter(ticket__course__slug="deep-learning")
    tasks = [task.text[:60] for task in tasks]
    assert answers and tasks
    assert [text for text in answers + tasks if text in pages] == []
    assert "Билет" not in pages

"""Small exam fixtures: a course bank with imported-style tickets, ticket sets, open exams."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from assessments.models import ExamTicket, PracticalTask, TicketTheoryQuestion
from exams.models import Exam, Ticket, TicketQuestion, TicketSet
from exams.sessions import Candidate, save_exam
from tests.quiz_factories import CourseFactory, TopicFactory, make_qa_item


def _seed_fields(key: str, line: int) -> dict:
    return {
        "seed_key": key,
        "source_file": "exam-test.txt",
        "source_first_line": line,
        "source_last_line": line,
        "content_hash": key,
    }


def make_course_bank(slug: str = "dl", qa_items: int = 6, tickets: int = 2):
    """A course with `qa_items` Q&A items and `tickets` imported tickets (two theory questions
    and a practical task each); topics alternate between two."""
    course = CourseFactory(slug=slug, title="Глубокое обучение")
    cnn = TopicFactory(slug="cnn", name="Свёрточные сети", name_en="CNNs", position=1)
    rnn = TopicFactory(slug="rnn", name="Рекуррентные сети", name_en="RNNs", position=2)
    items = [
        make_qa_item(
            course,
            f"Что такое приём {i} в нейросетях?",
            "Ответ " + "слово " * (10 * i),
            topics=(cnn,) if i % 2 else (rnn,),
        )
        for i in range(1, qa_items + 1)
    ]
    for number in range(1, tickets + 1):
        ticket = ExamTicket.objects.create(
            course=course, number=number, **_seed_fields(f"t:{slug}:{number}", number)
        )
        for position in (1, 2):
            question = TicketTheoryQuestion.objects.create(
                ticket=ticket,
                position=position,
                question=f"Билет {number}, вопрос {position}: объясните идею {number}{position}?",
                reference_answer=f"Эталон {number}.{position}: " + "термин " * (5 * position),
                **_seed_fields(f"q:{slug}:{number}:{position}", number),
            )
            question.topics.set([cnn if position == 1 else rnn])
        PracticalTask.objects.create(
            ticket=ticket,
            text=f"Реализуйте задачу {number} на PyTorch.",
            restored_code="import torch\n" * number,
            **_seed_fields(f"p:{slug}:{number}", number),
        )
    return course, items


def make_ticket_set(course, tickets: int = 2, name: str = "Весенняя сессия", lab=None):
    """A set of hand-graded tickets (or graded by `lab`), two written questions each."""
    ticket_set = TicketSet.objects.create(course=course, name=name)
    for number in range(1, tickets + 1):
        ticket = Ticket.objects.create(
            ticket_set=ticket_set,
            number=number,
            task_text=f"Практическое задание {number}",
            task_reference="print('эталон')",
            lab=lab,
        )
        for position in (1, 2):
            TicketQuestion.objects.create(
                ticket=ticket,
                position=position,
                text=f"Теоретический вопрос {number}.{position}?",
                reference_answer=f"Эталонный ответ {number}.{position}",
            )
    return ticket_set


def open_exam(course, ticket_set, instructor, learners=(), **fields) -> Exam:
    now = timezone.now()
    values = {
        "title": "Экзамен по глубокому обучению",
        "time_limit_minutes": 60,
        "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=1),
        **fields,
    }
    exam = Exam(course=course, ticket_set=ticket_set, **values)
    candidates = [
        learner if isinstance(learner, Candidate) else Candidate(learner.username, 0)
        for learner in learners
    ]
    return save_exam(exam, candidates, instructor)

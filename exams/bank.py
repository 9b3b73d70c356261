"""A course's bank for ticket generation, read from the database into exams.assembly's plain
shapes, with each item's difficulty.

The bank: the live Q&A items of the course's collections and the theory questions of its
imported tickets; the practical tasks of its imported tickets (graded by the lab the catalogue
has for that ticket, if any). Near-duplicates are the import's "see also" pairs.

Difficulty, 0 (easy) .. 1 (hard):
- measured, where learners have answered: a theory question with at least MIN_MEASURED graded
  exam answers gets 1 - the mean share of its rubric points they earned; a task whose lab has
  practice submissions from at least MIN_MEASURED learners gets 1 - their mean best score;
- otherwise the proxy: how much an answer must say. For a question, the mean of two
  percentile ranks within the course's bank: the length of its reference answer in words, and
  the number of things it asks (question marks, then its length). For a task, the percentile
  rank of the length of its reference code and statement. The proxy orders items; it does not
  claim that the hardest item is twice as hard as the median one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Max, Sum

from assessments.models import PracticalTask, TicketTheoryQuestion
from courses.models import Course, QAItem
from courses.queries import course_qa_items
from exams.assembly import Bank, BankQuestion, BankTask
from labs.models import Lab

MIN_MEASURED = 5


def percentile_ranks(values: Sequence[float]) -> list[float]:
    """0 for the smallest value, 1 for the largest; ties share the mean of their ranks."""
    if len(values) == 1:
        return [0.5]
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 / (len(values) - 1)
        for i in order[start : end + 1]:
            ranks[i] = shared
        start = end + 1
    return ranks


def load_bank(course: Course) -> Bank:
    qa_items = list(course_qa_items(course).order_by("pk").prefetch_related("topics"))
    seed_questions = list(
        TicketTheoryQuestion.objects.live()
        .filter(ticket__course=course, ticket__retired_at__isnull=True)
        .order_by("pk")
        .prefetch_related("topics")
    )
    rows = [
        (f"qa:{item.pk}", item.question, item.answer, [t.slug for t in item.topics.all()])
        for item in qa_items
    ] + [
        (f"theory:{q.pk}", q.question, q.reference_answer, [t.slug for t in q.topics.all()])
        for q in seed_questions
    ]
    answer_rank = percentile_ranks([len(answer.split()) for _, _, answer, _ in rows])
    ask_rank = percentile_ranks([text.count("?") * 10_000 + len(text) for _, text, _, _ in rows])
    measured = measured_question_difficulty(course)
    questions = []
    for (key, text, _answer, topics), by_answer, by_asks in zip(
        rows, answer_rank, ask_rank, strict=True
    ):
        difficulty = measured.get(key)
        questions.append(
            BankQuestion(
                key=key,
                text=text,
                topics=tuple(topics),
                difficulty=round(
                    difficulty if difficulty is not None else (by_answer + by_asks) / 2, 4
                ),
                measured=difficulty is not None,
            )
        )
    bank_keys = {q.key for q in questions}
    pairs = {
        frozenset((f"qa:{a}", f"qa:{b}"))
        for a, b in QAItem.see_also.through.objects.filter(
            from_qaitem__in=[item.pk for item in qa_items]
        ).values_list("from_qaitem_id", "to_qaitem_id")
    }
    pairs.update(
        frozenset((f"theory:{theory}", f"qa:{qa}"))
        for theory, qa in TicketTheoryQuestion.see_also.through.objects.filter(
            tickettheoryquestion__in=seed_questions
        ).values_list("tickettheoryquestion_id", "qaitem_id")
    )
    near_duplicates = frozenset(pair for pair in pairs if len(pair) == 2 and pair <= bank_keys)
    return Bank(tuple(questions), tuple(load_tasks(course)), near_duplicates)


def load_tasks(course: Course) -> list[BankTask]:
    tasks = list(
        PracticalTask.objects.live()
        .filter(ticket__course=course, ticket__retired_at__isnull=True)
        .select_related("ticket")
        .prefetch_related("topics")
        .order_by("ticket__number")
    )
    labs = {
        lab.ticket_number: lab
        for lab in Lab.objects.live().filter(course=course, ticket_number__isnull=False)
    }
    size = percentile_ranks(
        [len((t.restored_code or t.seed_code).splitlines()) * 1000 + len(t.text) for t in tasks]
    )
    measured = measured_lab_difficulty(list(labs.values()))
    found = []
    for task, proxy in zip(tasks, size, strict=True):
        lab = labs.get(task.ticket.number)
        difficulty = measured.get(lab.pk) if lab else None
        found.append(
            BankTask(
                key=f"task:{task.pk}",
                text=task.text,
                topics=tuple(t.slug for t in task.topics.all()),
                difficulty=round(difficulty if difficulty is not None else proxy, 4),
                measured=difficulty is not None,
                lab=lab.slug if lab else "",
            )
        )
    return found


def measured_question_difficulty(course: Course) -> dict[str, float]:
    """bank key -> 1 - mean share of rubric points, for questions with enough graded answers."""
    from exams.models import CriterionScore, ExamSession, RubricCriterion

    graded = [ExamSession.Grading.GRADED, ExamSession.Grading.PUBLISHED]
    earned = (
        CriterionScore.objects.filter(session__exam__course=course, session__grading__in=graded)
        .values("session_id", "criterion__question_id")
        .annotate(points=Sum("points"))
    )
    maxima = dict(
        RubricCriterion.objects.filter(exam__course=course)
        .values("exam_id", "question_id")
        .annotate(total=Sum("max_points"))
        .values_list("question_id", "total")
    )
    from exams.models import TicketQuestion

    keys = {
        q.pk: q.bank_key
        for q in TicketQuestion.objects.filter(
            pk__in={row["criterion__question_id"] for row in earned}
        )
    }
    shares: dict[str, list[float]] = defaultdict(list)
    for row in earned:
        question_id = row["criterion__question_id"]
        total = maxima.get(question_id)
        if total:
            shares[keys[question_id]].append(float(row["points"] / total))
    return {
        key: 1 - sum(values) / len(values)
        for key, values in shares.items()
        if len(values) >= MIN_MEASURED
    }


def measured_lab_difficulty(labs: list[Lab]) -> dict[int, float]:
    """lab id -> 1 - mean best practice score, for labs with enough learners."""
    from grading.models import Submission
    from grading.queues import Tier

    best: dict[int, list[float]] = defaultdict(list)
    for row in (
        Submission.objects.filter(lab__in=labs, tier=Tier.PRACTICE, score__isnull=False)
        .values("lab_id", "learner_id")
        .annotate(best=Max("score"))
    ):
        best[row["lab_id"]].append(row["best"])
    return {
        lab_id: 1 - sum(scores) / len(scores)
        for lab_id, scores in best.items()
        if len(scores) >= MIN_MEASURED
    }

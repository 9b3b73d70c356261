"""Balanced generation as an integer program (exams/assembly.py), on banks made here."""

import random

import pytest

from exams.assembly import Bank, BankQuestion, BankTask, BankTooSmall, assemble, largest_count

TOPICS = ["cnn", "rnn", "gan", "nlp", "mlops", "training"]


def bank(questions: int = 30, tasks: int = 4, duplicates=(), seed: int = 7) -> Bank:
    rng = random.Random(seed)
    return Bank(
        questions=tuple(
            BankQuestion(f"qa:{i}", f"Q{i}?", (TOPICS[i % len(TOPICS)],), round(rng.random(), 3))
            for i in range(questions)
        ),
        tasks=tuple(
            BankTask(f"task:{i}", f"T{i}", (TOPICS[(i + 3) % len(TOPICS)],), round(rng.random(), 3))
            for i in range(tasks)
        ),
        near_duplicates=frozenset(frozenset((f"qa:{a}", f"qa:{b}")) for a, b in duplicates),
    )


def keys(assembly):
    return [([q.key for q in t.questions], t.task.key) for t in assembly.tickets]


def test_no_theory_question_repeats_and_each_ticket_has_two():
    assembly = assemble(bank(), 12, seed=1)
    used = [q.key for t in assembly.tickets for q in t.questions]
    assert len(assembly.tickets) == 12
    assert all(len(t.questions) == 2 for t in assembly.tickets)
    assert len(used) == len(set(used)) == 24
    assert assembly.balance["repeated_questions"] == 0


def test_near_duplicates_never_share_a_ticket_even_in_the_largest_set():
    pairs = [(0, 1), (2, 3), (4, 5), (0, 6)]
    b = bank(questions=12, duplicates=pairs)
    assembly = assemble(b, largest_count(b), seed=3)
    for ticket in assembly.tickets:
        pair = frozenset(q.key for q in ticket.questions)
        assert pair not in b.near_duplicates
    assert assembly.balance["near_duplicates_in_one_ticket"] == 0


def test_tasks_do_not_repeat_while_there_are_enough():
    assembly = assemble(bank(tasks=6), 6, seed=2)
    assert sorted(t.task.key for t in assembly.tickets) == [f"task:{i}" for i in range(6)]


def test_tasks_repeat_as_evenly_as_possible_past_their_number():
    assembly = assemble(bank(questions=40, tasks=3), 11, seed=2)
    uses = {}
    for ticket in assembly.tickets:
        uses[ticket.task.key] = uses.get(ticket.task.key, 0) + 1
    assert sorted(uses.values()) == [3, 4, 4]


def test_tickets_are_far_more_even_in_difficulty_than_random_sets():
    assembly = assemble(bank(questions=40), 15, seed=5)
    balance = assembly.balance
    assert balance["difficulty_spread"] <= 0.05
    assert balance["difficulty_spread"] < balance["random_sets"]["difficulty_spread_median"] / 3


def test_topics_are_spread_no_ticket_asks_one_topic_twice():
    assembly = assemble(bank(questions=36), 10, seed=4)
    assert assembly.balance["tickets_with_shared_topic"] == 0
    assert assembly.balance["topics_covered"] == assembly.balance["topics_in_bank"]


def test_the_same_seed_gives_the_same_set_and_another_seed_another():
    b = bank(questions=40)
    assert keys(assemble(b, 10, seed=11)) == keys(assemble(b, 10, seed=11))
    assert keys(assemble(b, 10, seed=11)) != keys(assemble(b, 10, seed=12))


def test_asking_for_too_many_is_refused_with_the_largest_possible_count():
    b = bank(questions=21)
    assert largest_count(b) == 10
    with pytest.raises(BankTooSmall) as refusal:
        assemble(b, 11)
    assert refusal.value.largest == 10
    assert len(assemble(b, 10, seed=1).tickets) == 10


def test_a_question_near_duplicate_of_all_others_cannot_be_paired():
    # Question 0 is a near-duplicate of every other: it can be in no ticket, so 7 questions
    # give 3 tickets, not floor(7 / 2) = 3... and 8 questions give 3, not 4.
    b = bank(questions=8, duplicates=[(0, i) for i in range(1, 8)])
    assert largest_count(b) == 3
    with pytest.raises(BankTooSmall) as refusal:
        assemble(b, 4)
    assert refusal.value.largest == 3


def test_a_bank_without_tasks_or_questions_allows_nothing():
    assert largest_count(bank(tasks=0)) == 0
    assert largest_count(bank(questions=1)) == 0
    with pytest.raises(BankTooSmall):
        assemble(bank(tasks=0), 1)

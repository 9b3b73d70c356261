"""Balanced exam tickets as automated test assembly: a small integer program, no Django.

A ticket is two theory questions and one practical task. For N tickets from a course's bank:

- no theory question is used twice; near-duplicate questions (the import's "see also" pairs)
  never share a ticket;
- each practical task is used floor(N/P) or ceil(N/P) times (P tasks), so tasks repeat only
  when N > P, and then as evenly as possible; with N <= P no task repeats;
- topics are spread: a topic shared inside a ticket costs, a topic of the bank left out of the
  set costs, a topic used past its fair share of the set costs;
- tickets are of similar difficulty: a ticket's difficulty is the sum of its three items'
  (each 0..1, see exams/bank.py), and every ticket should be close to one target.

How (the design, measured in bench/exam_generation.py):

1. Capacity: the largest N is a maximum matching of the "may share a ticket" graph of the
   questions (any two that are not near-duplicates). That graph is the complement of the sparse
   near-duplicate graph, so when no question has near-duplicates in half the bank (Dirac's
   theorem gives a Hamiltonian path) the answer is floor(Q/2); otherwise the integer program
   below, maximising N, says.
2. Candidates: every ticket that could be made, as a triple (question a, question b, task p),
   with the cost |difficulty - target| + a penalty per shared topic. The target is the mean
   ticket of the bank (for the largest set: the whole bank spread over N tickets).
3. Only candidates within a band of the target are kept: 0.005 first, then wider bands until
   the program is feasible. A narrow band keeps the program small (a few thousand binaries)
   and bounds the difficulty spread by twice the band.
4. The program: choose N candidates, each question in at most one, each task within its
   counts, minimising the candidates' costs plus the topic terms. Ticket symmetry is gone (a
   candidate is a whole ticket), and the constraints are those of a matching, so CBC's linear
   relaxation is nearly integral and it solves in tens of milliseconds.
5. If the set still has tickets whose items share a topic, up to two wider bands are tried
   and the set with the fewest such tickets is kept (the narrower on a tie).
6. The seed picks among equally good sets: each candidate's cost gets a jitter below 0.01
   from a random.Random(seed), as large as the narrowest band, so one seed always gives the
   same set and another seed another set of the same balance. CBC runs single-threaded
   without a time limit, so the result does not depend on the machine's speed.

PuLP with its bundled CBC was chosen over OR-Tools' CP-SAT after measuring both on this model
(bench/exam_generation.py's docstring has the figures): CBC was faster on every size, CP-SAT
needed minutes' worth of time limits on the largest set, and OR-Tools would pin protobuf
below what onnx installs.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

THEORY_PER_TICKET = 2
BANDS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8, None)  # None: every candidate
TOPIC_OVERLAP_COST = 0.5
MISSING_TOPIC_COST = 0.3
OVERUSE_COST = 0.2
JITTER = 0.01
# Past the first feasible band, wider ones are tried while tickets still share a topic.
EXTRA_BANDS_FOR_TOPICS = 2
RANDOM_BASELINE_DRAWS = 100


@dataclass(frozen=True)
class BankQuestion:
    key: str  # "qa:<id>", "theory:<id>" (an imported ticket question)
    text: str
    topics: tuple[str, ...]
    difficulty: float
    measured: bool = False  # from graded answers, not the proxy


@dataclass(frozen=True)
class BankTask:
    key: str  # "task:<id>" (an imported practical task) or "lab:<id>"
    text: str
    topics: tuple[str, ...]
    difficulty: float
    measured: bool = False
    lab: str = ""  # the lab's slug when a lab grades it


@dataclass(frozen=True)
class Bank:
    questions: tuple[BankQuestion, ...]
    tasks: tuple[BankTask, ...]
    near_duplicates: frozenset[frozenset[str]] = frozenset()


@dataclass(frozen=True)
class AssembledTicket:
    number: int
    questions: tuple[BankQuestion, ...]
    task: BankTask

    @property
    def difficulty(self) -> float:
        """The mean difficulty of the ticket's items, 0..1."""
        items = [q.difficulty for q in self.questions] + [self.task.difficulty]
        return sum(items) / len(items)


@dataclass
class Assembly:
    tickets: list[AssembledTicket]
    seed: int
    band: float | None
    solve_s: float
    balance: dict = field(default_factory=dict)


class BankTooSmall(Exception):
    """More tickets than the bank allows; `largest` is the most it allows (0: none)."""

    def __init__(self, requested: int, largest: int, reason: str = "") -> None:
        super().__init__(f"{requested} tickets requested, the bank allows at most {largest}")
        self.requested = requested
        self.largest = largest
        self.reason = reason


def largest_count(bank: Bank) -> int:
    """The most tickets the bank can give (step 1 of the module docstring)."""
    if not bank.tasks or len(bank.questions) < THEORY_PER_TICKET:
        return 0
    keys = {q.key for q in bank.questions}
    degree: Counter[str] = Counter()
    for pair in bank.near_duplicates:
        if pair <= keys and len(pair) == 2:
            for key in pair:
                degree[key] += 1
    n = len(bank.questions)
    if max(degree.values(), default=0) <= n / 2 - 1:
        return n // 2
    return _maximum_matching(bank)


def _maximum_matching(bank: Bank) -> int:
    import pulp

    questions = [q.key for q in bank.questions]
    problem = pulp.LpProblem("largest_set", pulp.LpMaximize)
    pair_vars = {}
    for i, a in enumerate(questions):
        for b in questions[i + 1 :]:
            if frozenset((a, b)) not in bank.near_duplicates:
                pair_vars[a, b] = problem.add_variable(f"z{len(pair_vars)}", cat="Binary")
    problem += pulp.lpSum(pair_vars.values())
    for key in questions:
        touching = [v for (a, b), v in pair_vars.items() if key in (a, b)]
        if touching:
            problem += pulp.lpSum(touching) <= 1
    problem.solve(_cbc())
    return round(pulp.value(problem.objective) or 0)


def task_counts(count: int, tasks: int) -> tuple[int, int]:
    """How often each task is used: between these two numbers (0..1 when count <= tasks)."""
    if count <= tasks:
        return 0, 1
    return count // tasks, -(-count // tasks)


def assemble(bank: Bank, count: int, seed: int | None = None) -> Assembly:
    """N balanced tickets, or BankTooSmall with the largest N the bank allows."""
    largest = largest_count(bank)
    if count < 1 or count > largest:
        raise BankTooSmall(count, largest)
    if seed is None:
        seed = random.SystemRandom().randrange(1, 1_000_000)
    started = time.perf_counter()
    target = _target(bank, count, largest)
    rng = random.Random(seed)  # noqa: S311 - tie-breaking, not secrets
    jitter = [rng.random() * JITTER for _ in range(_pair_count(bank) * len(bank.tasks))]
    best: tuple[int, list[AssembledTicket], float | None] | None = None
    extra_bands = None
    for band in BANDS:
        candidates = _candidates(bank, target, band, jitter)
        if not _may_be_feasible(bank, candidates, count):
            continue
        chosen = _solve(bank, candidates, count)
        if chosen is None:
            continue
        found = _number(bank, chosen)
        clashes = _figures(bank, found)["tickets_with_shared_topic"]
        if best is None or clashes < best[0]:
            best = (clashes, found, band)
        extra_bands = EXTRA_BANDS_FOR_TOPICS if extra_bands is None else extra_bands - 1
        if best[0] == 0 or extra_bands == 0:
            break
    if best is None:  # cannot happen below the capacity; kept as the invariant's guard
        raise BankTooSmall(count, largest, "no feasible set")
    _clashes, tickets, band = best
    assembly = Assembly(tickets, seed, band, time.perf_counter() - started)
    assembly.balance = balance_report(bank, tickets, seed)
    return assembly


def _pair_count(bank: Bank) -> int:
    n = len(bank.questions)
    return n * (n - 1) // 2


def _target(bank: Bank, count: int, largest: int) -> float:
    """The ticket difficulty (sum of three items) every ticket should be close to."""
    task_mean = statistics.fmean(t.difficulty for t in bank.tasks)
    question_mean = statistics.fmean(q.difficulty for q in bank.questions)
    if count == largest and count > 1:
        # The whole bank is used: its total spread over the tickets.
        return (question_mean * THEORY_PER_TICKET * count + task_mean * count) / count
    return question_mean * THEORY_PER_TICKET + task_mean


def _candidates(
    bank: Bank, target: float, band: float | None, jitter: list[float]
) -> list[tuple[int, int, int, float]]:
    """(question a, question b, task, cost) for every ticket within the band of the target."""
    questions, tasks = bank.questions, bank.tasks
    topic_sets = [frozenset(q.topics) for q in questions]
    task_topics = [frozenset(t.topics) for t in tasks]
    found = []
    pair_index = 0
    for a in range(len(questions)):
        da, ta = questions[a].difficulty, topic_sets[a]
        for b in range(a + 1, len(questions)):
            pair = pair_index
            pair_index += 1
            if frozenset((questions[a].key, questions[b].key)) in bank.near_duplicates:
                continue
            pair_sum = da + questions[b].difficulty
            shared = len(ta & topic_sets[b])
            both = ta | topic_sets[b]
            for p, task in enumerate(tasks):
                deviation = abs(pair_sum + task.difficulty - target)
                if band is not None and deviation > band:
                    continue
                overlap = shared + len(both & task_topics[p])
                cost = deviation + TOPIC_OVERLAP_COST * overlap + jitter[pair * len(tasks) + p]
                found.append((a, b, p, cost))
    return found


def _may_be_feasible(bank: Bank, candidates, count: int) -> bool:
    """Cheap necessary conditions, so hopeless bands skip the solver."""
    if len(candidates) < count:
        return False
    used = {a for a, _, _, _ in candidates} | {b for _, b, _, _ in candidates}
    if len(used) < THEORY_PER_TICKET * count:
        return False
    low, _ = task_counts(count, len(bank.tasks))
    per_task = Counter(p for _, _, p, _ in candidates)
    return all(per_task[p] >= low for p in range(len(bank.tasks)))


def _solve(bank: Bank, candidates, count: int) -> list[tuple[int, int, int]] | None:
    """Step 4 of the module docstring; None when the band admits no set."""
    import pulp

    problem = pulp.LpProblem("tickets", pulp.LpMinimize)
    chosen = [problem.add_variable(f"w{i}", cat="Binary") for i in range(len(candidates))]
    by_question: dict[int, list] = {}
    by_task: dict[int, list] = {}
    by_topic: dict[str, list] = {}
    for variable, (a, b, p, _cost) in zip(chosen, candidates, strict=True):
        by_question.setdefault(a, []).append(variable)
        by_question.setdefault(b, []).append(variable)
        by_task.setdefault(p, []).append(variable)
        items = (*bank.questions[a].topics, *bank.questions[b].topics, *bank.tasks[p].topics)
        for topic, times in Counter(items).items():
            by_topic.setdefault(topic, []).extend([variable] * times)
    objective = [
        cost * variable for variable, (_, _, _, cost) in zip(chosen, candidates, strict=True)
    ]
    problem += pulp.lpSum(chosen) == count
    for variables in by_question.values():
        problem += pulp.lpSum(variables) <= 1
    low, high = task_counts(count, len(bank.tasks))
    for p in range(len(bank.tasks)):
        uses = pulp.lpSum(by_task.get(p, []))
        problem += uses <= high
        if low:
            problem += uses >= low
    shares = _fair_topic_uses(bank, count)
    for number, (topic, variables) in enumerate(sorted(by_topic.items())):
        covered = problem.add_variable(f"c{number}", cat="Binary")
        problem += covered <= pulp.lpSum(variables)
        excess = problem.add_variable(f"e{number}", lowBound=0)
        problem += excess >= pulp.lpSum(variables) - shares.get(topic, 0)
        objective += [-MISSING_TOPIC_COST * covered, OVERUSE_COST * excess]
    problem += pulp.lpSum(objective)
    problem.solve(_cbc())
    if pulp.LpStatus[problem.status] != "Optimal":
        return None
    return [
        (a, b, p)
        for variable, (a, b, p, _) in zip(chosen, candidates, strict=True)
        if (variable.value() or 0) > 0.5
    ]


def _cbc():
    """The CBC binary PuLP 3 ships, single-threaded (deterministic), quiet."""
    import warnings

    import pulp

    with warnings.catch_warnings():
        # PuLP 4 moves CBC to an optional 190 MB package; 3.x (pinned) still ships it.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, threads=1)


def _fair_topic_uses(bank: Bank, count: int) -> dict[str, float]:
    """How often each topic would appear if items were drawn in proportion to the bank, with
    room for one more: uses past it cost."""
    question_topics = Counter(t for q in bank.questions for t in q.topics)
    task_topics = Counter(t for task in bank.tasks for t in task.topics)
    fair: dict[str, float] = {}
    for topic in set(question_topics) | set(task_topics):
        expected = question_topics[topic] / len(bank.questions) * THEORY_PER_TICKET * count
        expected += task_topics[topic] / len(bank.tasks) * count
        fair[topic] = math.ceil(expected) + 1
    return fair


def _number(bank: Bank, chosen: list[tuple[int, int, int]]) -> list[AssembledTicket]:
    """Tickets numbered in the order of the tasks' keys, then the questions' (stable output)."""
    tickets = [
        (bank.tasks[p], sorted((bank.questions[a], bank.questions[b]), key=lambda q: q.key))
        for a, b, p in chosen
    ]
    tickets.sort(key=lambda item: (_natural(item[0].key), [_natural(q.key) for q in item[1]]))
    return [
        AssembledTicket(number, tuple(questions), task)
        for number, (task, questions) in enumerate(tickets, start=1)
    ]


def _natural(key: str) -> tuple[str, int]:
    kind, _, number = key.partition(":")
    return (kind, int(number) if number.isdigit() else 0)


# --- How balanced ---------------------------------------------------------------------------


def balance_report(bank: Bank, tickets: Sequence[AssembledTicket], seed: int) -> dict:
    """Figures a person can judge a set by, beside those of random sets of the same size that
    keep the same hard rules (no repeats, near-duplicates apart, tasks even)."""
    figures = _figures(bank, tickets)
    rng = random.Random(seed)  # noqa: S311
    draws = [
        _figures(bank, _random_set(bank, len(tickets), rng)) for _ in range(RANDOM_BASELINE_DRAWS)
    ]
    draws = [d for d in draws if d]
    if draws:
        figures["random_sets"] = {
            "draws": len(draws),
            "difficulty_spread_median": round(
                statistics.median(d["difficulty_spread"] for d in draws), 3
            ),
            "difficulty_stdev_median": round(
                statistics.median(d["difficulty_stdev"] for d in draws), 3
            ),
            "tickets_with_shared_topic_median": statistics.median(
                d["tickets_with_shared_topic"] for d in draws
            ),
            "topics_covered_median": statistics.median(d["topics_covered"] for d in draws),
        }
    return figures


def _figures(bank: Bank, tickets: Sequence[AssembledTicket]) -> dict:
    if not tickets:
        return {}
    difficulties = [t.difficulty for t in tickets]
    used_questions = [q.key for t in tickets for q in t.questions]
    repeated = len(used_questions) - len(set(used_questions))
    near_duplicates_together = sum(
        1
        for t in tickets
        for i, a in enumerate(t.questions)
        for b in t.questions[i + 1 :]
        if frozenset((a.key, b.key)) in bank.near_duplicates
    )
    shared_topic = 0
    topic_uses: Counter[str] = Counter()
    for ticket in tickets:
        items = [set(q.topics) for q in ticket.questions] + [set(ticket.task.topics)]
        topic_uses.update(t for item in items for t in item)
        seen: set[str] = set()
        clash = False
        for item in items:
            clash = clash or bool(seen & item)
            seen |= item
        shared_topic += clash
    task_uses = Counter(t.task.key for t in tickets)
    bank_topics = {t for q in bank.questions for t in q.topics} | {
        t for task in bank.tasks for t in task.topics
    }
    return {
        "tickets": len(tickets),
        "difficulty_min": round(min(difficulties), 3),
        "difficulty_max": round(max(difficulties), 3),
        "difficulty_spread": round(max(difficulties) - min(difficulties), 3),
        "difficulty_stdev": round(statistics.pstdev(difficulties), 3),
        "difficulty_mean": round(statistics.fmean(difficulties), 3),
        "repeated_questions": repeated,
        "near_duplicates_in_one_ticket": near_duplicates_together,
        "tickets_with_shared_topic": shared_topic,
        "topics_covered": len(topic_uses),
        "topics_in_bank": len(bank_topics),
        "most_tickets_per_topic": max(topic_uses.values(), default=0),
        "task_uses_min": min(task_uses.values()) if len(task_uses) == len(bank.tasks) else 0,
        "task_uses_max": max(task_uses.values()),
        "tasks_used": len(task_uses),
        "measured_items": sum(q.measured for t in tickets for q in t.questions)
        + sum(t.task.measured for t in tickets),
    }


def _random_set(bank: Bank, count: int, rng: random.Random) -> list[AssembledTicket]:
    """A random set under the hard rules (greedy pairing of a shuffled bank); [] if it fails."""
    questions = list(bank.questions)
    rng.shuffle(questions)
    pairs = []
    while questions and len(pairs) < count:
        first = questions.pop()
        partner = next(
            (q for q in questions if frozenset((first.key, q.key)) not in bank.near_duplicates),
            None,
        )
        if partner is None:
            continue
        questions.remove(partner)
        pairs.append((first, partner))
    if len(pairs) < count:
        return []
    tasks = list(bank.tasks)
    rng.shuffle(tasks)
    return [
        AssembledTicket(n, pair, tasks[(n - 1) % len(tasks)])
        for n, pair in enumerate(pairs, start=1)
    ]

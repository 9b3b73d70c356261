"""Case studies, role-play games and mind maps of the course documents.

- ``Кейс №N: "title"`` followed by titled sections ("Описание ситуации", "Задача", "Решение"...).
  Known defects: case 1 of the DL course announces "Результаты работы модели:" and gives none;
  its case 2 ends with the heading "План оптимизации pipeline" and no text.
- ``Ролевая игра №N: "title"`` with "Цель игры", "Формат", "Сеттинг", "Роли в команде",
  "Этапы игры", "Обучающие эффекты", "Возможные проблемы и вызовы во время игры" and
  "Результаты" (DL) or "Дополнительно" (ML). Roles are "N. Title" + "- duty" lines (DL) or
  "- Title — description" lines (ML); stages are "Этап N: title (15 мин)" + text.
- ``Интеллект-карта №N: "title"``, "Центральный узел:", the root label, "Основные ветки:" (or
  "Основные этапы:"), then groups of "-", a branch label and "- leaf" lines. A mind map ends at
  the first line that does not fit; the caller goes on from there.

Sections are recognised by their exact titles (listed below): the documents have no other
marker, and lines like "Для разработки модели предоставлены данные:" must stay text.
"""

from __future__ import annotations

import re

from seeds.parsers.messages import Message, gettext_noop
from seeds.parsers.records import (
    CaseStudy,
    MindMap,
    MindMapNode,
    Role,
    RolePlay,
    Section,
    Stage,
)
from seeds.parsers.source import SeedText, bullet, is_separator

CASE_HEADER = re.compile(r'^Кейс №\s*(\d+):\s*"?(.*?)"?\s*$')
ROLEPLAY_HEADER = re.compile(r'^Ролевая игра №\s*(\d+):\s*"?(.*?)"?\s*$')
MINDMAP_HEADER = re.compile(r'^Интеллект-карта №\s*(\d+):\s*"?(.*?)"?\s*$')

CASE_SECTIONS = (
    "Описание ситуации",
    "Текущая реализация от внутренней команды",
    "Задача",
    "Решение",
    "Резюме",
    "План оптимизации pipeline",
    "Анализ и выявление проблем",
    "Выводы и рекомендации",
    "Дополнительные вопросы для обсуждения",
)
_GOAL = "Цель игры"
_FORMAT = "Формат"
_SETTING = "Сеттинг"
_ROLES = "Роли в команде"
_STAGES = "Этапы игры"
_EFFECTS = "Обучающие эффекты"
_CHALLENGES = "Возможные проблемы и вызовы во время игры"
_RESULTS = "Результаты"
_EXTRA = "Дополнительно"
ROLEPLAY_SECTIONS = (
    _GOAL,
    _FORMAT,
    _SETTING,
    _ROLES,
    _STAGES,
    _EFFECTS,
    _CHALLENGES,
    _RESULTS,
    _EXTRA,
)
_REQUIRED_ROLEPLAY = (_GOAL, _FORMAT, _SETTING, _ROLES, _STAGES)
_ROOT = "Центральный узел:"
_NUMBERED_ROLE = re.compile(r"^\d+\.\s+(.+)$")
_STAGE = re.compile(r"^Этап\s+(\d+):\s*(.+?)(?:\s*\(([^()]*)\))?$")


def _sections(
    seed: SeedText, first: int, last: int, titles: tuple[str, ...], what: Message
) -> list[Section]:
    """Split lines ``first``..``last`` at the known section titles."""
    sections: list[Section] = []
    title: str | None = None
    start = first
    body: list[int] = []

    def close() -> None:
        if title is None:
            return
        rows = [n for n in body if seed.line(n)]
        end = rows[-1] if rows else start
        text = "\n".join(seed.line(n) for n in rows)
        sections.append(Section(title=title, text=text, first_line=start, last_line=end))
        if not rows:
            seed.warn(
                start,
                "empty_section",
                gettext_noop("%(item)s: the section «%(title)s» has no text"),
                item=what,
                title=title,
            )
        elif seed.line(rows[-1]).endswith(":"):
            seed.warn(
                rows[-1],
                "missing_content",
                gettext_noop("%(item)s: «%(text)s» announces content that the seed does not have"),
                item=what,
                text=seed.line(rows[-1]),
            )

    for row in range(first, last + 1):
        text = seed.line(row)
        if text.rstrip(":") in titles:
            close()
            title, start, body = text.rstrip(":"), row, []
        elif title is None:
            if text:
                seed.warn(
                    row,
                    "unparsed",
                    gettext_noop("%(item)s: text before the first section"),
                    [row],
                    item=what,
                )
        else:
            body.append(row)
    close()
    return sections


def parse_case(seed: SeedText, first: int, last: int, *, at_eof: bool) -> CaseStudy:
    match = CASE_HEADER.match(seed.line(first))
    assert match is not None
    number, title = int(match.group(1)), match.group(2)
    what = Message(gettext_noop("case №%(number)d"), {"number": number})
    sections = _sections(seed, first + 1, last, CASE_SECTIONS, what)
    if not sections and at_eof:
        raise seed.error(first, gettext_noop("the file ends inside %(item)s"), item=what)
    if not sections:
        seed.warn(first, "empty_case", gettext_noop("%(item)s has no sections"), item=what)
    return CaseStudy(
        source_file=seed.file,
        first_line=first,
        last_line=last,
        number=number,
        title=title,
        sections=tuple(sections),
    )


def parse_roleplay(seed: SeedText, first: int, last: int, *, at_eof: bool) -> RolePlay:
    match = ROLEPLAY_HEADER.match(seed.line(first))
    assert match is not None
    number, title = int(match.group(1)), match.group(2)
    what = Message(gettext_noop("role-play game №%(number)d"), {"number": number})
    sections = _sections(seed, first + 1, last, ROLEPLAY_SECTIONS, what)
    by_title = {section.title: section for section in sections}
    missing = [name for name in _REQUIRED_ROLEPLAY if name not in by_title]
    if missing:
        names = ", ".join(f"«{name}»" for name in missing)
        if at_eof:
            raise seed.error(
                first,
                gettext_noop("the file ends inside %(item)s (no %(sections)s)"),
                item=what,
                sections=names,
            )
        seed.warn(
            first,
            "incomplete_roleplay",
            gettext_noop("%(item)s has no %(sections)s"),
            item=what,
            sections=names,
        )

    def text(name: str) -> str:
        section = by_title.get(name)
        return section.text if section else ""

    return RolePlay(
        source_file=seed.file,
        first_line=first,
        last_line=last,
        number=number,
        title=title,
        goal=text(_GOAL),
        format=text(_FORMAT),
        setting=text(_SETTING),
        roles=_roles(text(_ROLES)),
        stages=_stages(text(_STAGES)),
        effects=_items(text(_EFFECTS)),
        challenges=_items(text(_CHALLENGES)),
        results=text(_RESULTS),
        extra=text(_EXTRA),
        sections=tuple(sections),
    )


def _items(text: str) -> tuple[str, ...]:
    items = []
    for line in text.splitlines():
        item = bullet(line)
        items.append(item if item is not None else line)
    return tuple(item for item in items if item)


def _roles(text: str) -> tuple[Role, ...]:
    """Roles as "N. Title" + "- duty" lines (DL) or "- Title — description" lines (ML); the
    introduction line ("Каждый участник получает...") stays in the section text only."""
    roles: list[tuple[str, list[str]]] = []
    numbered = False
    for line in text.splitlines():
        match = _NUMBERED_ROLE.match(line)
        item = bullet(line)
        if match:
            numbered = True
            roles.append((match.group(1), []))
        elif item is None:
            continue
        elif not numbered and " — " in item:
            role_title, duty = item.split(" — ", 1)
            roles.append((role_title.strip(), [duty.strip()]))
        elif roles:
            roles[-1][1].append(item)
    return tuple(Role(title=title, duties=tuple(duties)) for title, duties in roles)


def _stages(text: str) -> tuple[Stage, ...]:
    stages: list[tuple[int, str, str, list[str]]] = []
    for line in text.splitlines():
        match = _STAGE.match(line)
        if match:
            stages.append((int(match.group(1)), match.group(2), match.group(3) or "", []))
        elif stages:
            stages[-1][3].append(line)
    return tuple(
        Stage(number=number, title=title, duration=duration, text="\n".join(body))
        for number, title, duration, body in stages
    )


def parse_mindmap(
    seed: SeedText, first: int, last: int, *, at_eof: bool
) -> tuple[MindMap | None, int]:
    """Parse a mind map starting at ``first``; returns it (None when its head is malformed,
    which is reported) and the last line it uses."""
    match = MINDMAP_HEADER.match(seed.line(first))
    assert match is not None
    number, title = int(match.group(1)), match.group(2)
    what = Message(gettext_noop("mind map №%(number)d"), {"number": number})
    row = first + 1
    if row + 2 > last or seed.line(row) != _ROOT:
        if at_eof:
            raise seed.error(first, gettext_noop("the file ends inside %(item)s"), item=what)
        seed.warn(
            first,
            "unparsed",
            gettext_noop("%(item)s: expected «%(root)s» and the central node; the map was skipped"),
            range(first, last + 1),
            item=what,
            root=_ROOT,
        )
        return None, last
    root_line = row + 1
    root_label = seed.line(root_line)
    branches_title = seed.line(root_line + 1).rstrip(":")
    row = root_line + 2
    branches: list[MindMapNode] = []
    end = root_line + 1
    while row <= last:
        if not is_separator(seed.line(row)):
            break
        label_line = row + 1
        if label_line > last or not seed.line(label_line) or bullet(seed.line(label_line)):
            break
        leaves: list[MindMapNode] = []
        row = label_line + 1
        while row <= last and bullet(seed.line(row)) is not None:
            leaves.append(MindMapNode(label=bullet(seed.line(row)) or "", line=row))
            row += 1
        if not leaves:
            if at_eof and row > last:
                raise seed.error(
                    label_line, gettext_noop("the file ends inside %(item)s"), item=what
                )
            seed.warn(
                label_line,
                "empty_branch",
                gettext_noop("%(item)s: the branch «%(branch)s» has no items"),
                item=what,
                branch=seed.line(label_line),
            )
        branches.append(
            MindMapNode(label=seed.line(label_line), line=label_line, children=tuple(leaves))
        )
        end = row - 1
    if not branches:
        if at_eof:
            raise seed.error(first, gettext_noop("the file ends inside %(item)s"), item=what)
        seed.warn(first, "empty_mindmap", gettext_noop("%(item)s has no branches"), item=what)
    root = MindMapNode(label=root_label, line=root_line, children=tuple(branches))
    mindmap = MindMap(
        source_file=seed.file,
        first_line=first,
        last_line=end,
        number=number,
        title=title,
        branches_title=branches_title,
        root=root,
    )
    return mindmap, end

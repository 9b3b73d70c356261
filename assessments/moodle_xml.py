"""Moodle XML: written with ElementTree (which escapes every text and attribute) and read with
defusedxml (no entity expansion, no external entities, no DTD tricks).

Written: a `category` question before each topic's questions (`$course$/<course>/<topic>`),
`multichoice` questions with one right answer (fraction 100) and `essay` questions whose
reference answer is the grader information; texts are `plain_text`, topic slugs are tags
`topic:<slug>`. Read: the same, plus `html` texts (tags stripped); other question types are
skipped with a warning. A malformed file stops the import with the line of the problem.
"""

from __future__ import annotations

import html

# ElementTree builds and serialises; parsing goes through defusedxml's parser only.
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from assessments.interchange import ESSAY, MULTICHOICE, InterchangeError, Option, Question

TOPIC_TAG = "topic:"
LINE_ATTRIBUTE = "{urn:platform}line"


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = "plain_text") -> None:
    element = ET.SubElement(parent, tag)
    if fmt:
        element.set("format", fmt)
    ET.SubElement(element, "text").text = value


def dump(questions: list[Question], category_prefix: str) -> bytes:
    root = ET.Element("quiz")
    current = None
    for question in questions:
        if question.category != current:
            current = question.category
            category = ET.SubElement(root, "question", type="category")
            ET.SubElement(
                ET.SubElement(category, "category"), "text"
            ).text = f"{category_prefix}/{current}"
        element = ET.SubElement(root, "question", type=question.kind)
        ET.SubElement(ET.SubElement(element, "name"), "text").text = question.name
        _text(element, "questiontext", question.text)
        _text(element, "generalfeedback", "")
        ET.SubElement(element, "defaultgrade").text = "1"
        ET.SubElement(element, "hidden").text = "0"
        ET.SubElement(element, "idnumber").text = question.name
        if question.kind == MULTICHOICE:
            ET.SubElement(element, "penalty").text = "0"
            ET.SubElement(element, "single").text = "true"
            ET.SubElement(element, "shuffleanswers").text = "true"
            ET.SubElement(element, "answernumbering").text = "ABCD"
            for option in question.options:
                answer = ET.SubElement(
                    element,
                    "answer",
                    fraction="100" if option.is_correct else "0",
                    format="plain_text",
                )
                ET.SubElement(answer, "text").text = option.text
                _text(answer, "feedback", "")
        else:
            ET.SubElement(element, "responseformat").text = "editor"
            ET.SubElement(element, "responserequired").text = "1"
            ET.SubElement(element, "responsefieldlines").text = "15"
            _text(element, "graderinfo", question.answer)
            _text(element, "responsetemplate", "")
        if question.topics:
            tags = ET.SubElement(element, "tags")
            for slug in question.topics:
                ET.SubElement(ET.SubElement(tags, "tag"), "text").text = TOPIC_TAG + slug
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


class _LineTreeBuilder(ET.TreeBuilder):
    """Remembers the line where each element starts (ElementTree forgets it)."""

    parser: DefusedXMLParser | None = None

    def start(self, tag, attrs):  # type: ignore[override]
        element = super().start(tag, attrs)
        if self.parser is not None:
            element.set(LINE_ATTRIBUTE, str(self.parser.parser.CurrentLineNumber))
        return element


def _parse_tree(data: bytes) -> ET.Element:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data)
        return parser.close()
    except ET.ParseError as error:
        line, column = error.position
        raise InterchangeError(
            line, _("malformed XML (column %(column)d)") % {"column": column + 1}
        ) from None
    except DefusedXmlException as error:
        raise InterchangeError(
            builder.parser.parser.CurrentLineNumber if builder.parser else 0,
            _("refused XML feature: %(feature)s") % {"feature": type(error).__name__},
        ) from None


def _line(element: ET.Element) -> int:
    return int(element.get(LINE_ATTRIBUTE, "0"))


def _read_text(element: ET.Element | None) -> str:
    """The text of a `<x format="..."><text>...</text></x>` element, plain."""
    if element is None:
        return ""
    node = element.find("text")
    value = (node.text if node is not None else element.text) or ""
    if element.get("format", "html") in {"html", "moodle_auto_format"}:
        value = html.unescape(strip_tags(value))
    return value.strip()


@dataclass
class ParseResult:
    questions: list[Question] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse(data: bytes) -> ParseResult:
    root = _parse_tree(data)
    if root.tag != "quiz":
        raise InterchangeError(
            _line(root), _("the root element is <%(tag)s>, not <quiz>") % {"tag": root.tag}
        )
    result = ParseResult()
    category = ""
    for element in root:
        line = _line(element)
        if element.tag != "question":
            raise InterchangeError(
                line, _("unexpected element <%(tag)s> in <quiz>") % {"tag": element.tag}
            )
        kind = element.get("type", "")
        if kind == "category":
            path = _read_text(element.find("category"))
            category = path.rsplit("/", 1)[-1]
            continue
        if kind not in {MULTICHOICE, ESSAY}:
            result.warnings.append(
                _("line %(line)d: question type «%(type)s» is not supported; skipped")
                % {"line": line, "type": kind}
            )
            continue
        name_element = element.find("name")
        if name_element is None:
            raise InterchangeError(line, _("the question has no <name>"))
        name = _read_text(name_element) if name_element.find("text") is not None else ""
        text_element = element.find("questiontext")
        if text_element is None:
            raise InterchangeError(line, _("the question has no <questiontext>"))
        topics = [
            tag.text[len(TOPIC_TAG) :]
            for tag in element.findall("tags/tag/text")
            if tag.text and tag.text.startswith(TOPIC_TAG)
        ]
        question = Question(
            kind=kind,
            name=name,
            text=_read_text(text_element),
            category=category,
            topics=topics,
            line=line,
        )
        if kind == MULTICHOICE:
            if (element.findtext("single") or "true").strip().lower() not in {"true", "1"}:
                result.warnings.append(
                    _("line %(line)d: several right answers (single=false); skipped")
                    % {"line": line}
                )
                continue
            for answer in element.findall("answer"):
                try:
                    fraction = float(answer.get("fraction", "0"))
                except ValueError:
                    raise InterchangeError(
                        _line(answer),
                        _("fraction «%(fraction)s» is not a number")
                        % {"fraction": answer.get("fraction")},
                    ) from None
                answer.set("format", answer.get("format", "html"))
                question.options.append(Option(_read_text(answer), fraction >= 100))
        else:
            question.answer = _read_text(element.find("graderinfo"))
        question.check()
        result.questions.append(question)
    return result

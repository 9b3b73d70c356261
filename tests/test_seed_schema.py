"""The import's schema is said once (seeds/schema.py): one entry per content kind names its
record, model, key and fields, and the rows, the loader's model list and the report's kind
names all come from it."""

import dataclasses

import pytest
from django.core.exceptions import ImproperlyConfigured

from courses import models as course_models
from seeds import loader, schema
from seeds.parsers import records as r


def test_every_record_kind_of_the_parsers_has_one_schema_entry():
    assert sorted(schema.BY_KIND) == sorted(r.KINDS)
    assert len(schema.KINDS) == len(schema.BY_KIND)
    record_classes = {
        cls
        for cls in vars(r).values()
        if isinstance(cls, type) and issubclass(cls, r.Record) and cls not in (r.Record,)
    }
    content = {cls for cls in record_classes if cls is not r.RefusedItem}
    assert content == {kind.record for kind in schema.KINDS}


def test_the_loader_takes_its_models_and_kind_names_from_the_schema():
    assert loader.SEED_MODELS == schema.SEED_MODELS
    assert loader.KIND_OF_MODEL == schema.KIND_OF_MODEL
    assert set(loader.TAGGED_MODELS) == {k.model for k in schema.KINDS if k.tagged}
    # Parents before children: a course's parts come after the course.
    models = list(schema.SEED_MODELS)
    assert models.index(course_models.Course) < models.index(course_models.CaseStudy)


def test_an_entry_naming_a_field_its_model_lacks_fails_at_start_up():
    with pytest.raises(ImproperlyConfigured, match="no \\['colour'\\]"):
        schema.ContentKind(
            r.CaseStudy, course_models.CaseStudy, key=schema.ordinal, fields={"colour": None}
        )
    with pytest.raises(ImproperlyConfigured, match="CaseStudy has no \\['text'\\]"):
        schema.ContentKind(
            r.CaseStudy, course_models.CaseStudy, key=schema.ordinal, fields={"text": None}
        )


def test_record_values_become_json():
    role = r.Role(title="Инженер", duties=("обучает", "проверяет"))
    assert schema.plain((role,)) == [{"title": "Инженер", "duties": ["обучает", "проверяет"]}]
    assert dataclasses.is_dataclass(role)

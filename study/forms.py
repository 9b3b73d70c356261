from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.utils.translation import gettext_lazy as _

from study.models import StudySettings


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(name for name in zoneinfo.available_timezones() if "/" in name)
    return [(name, name.replace("_", " ")) for name in names]


class StudySettingsForm(forms.ModelForm):
    time_zone = forms.TypedChoiceField(label=_("Time zone"), choices=time_zone_choices)

    class Meta:
        model = StudySettings
        fields = ("time_zone", "new_cards_per_day")

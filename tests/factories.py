"""Small factories for tests. Anything public is written through lifecycle, as in life."""

from __future__ import annotations

from datetime import datetime

import factory
from django.utils import timezone

from incidents.models import Component, ComponentGroup, ComponentStatusChange


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComponentGroup

    name = factory.Sequence(lambda n: f"Group {n}")
    position = factory.Sequence(lambda n: n)


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Component {n}")
    position = factory.Sequence(lambda n: n)
    description = "A part of the product"

    @factory.post_generation
    def history(obj: Component, create: bool, extracted: datetime | None, **kwargs: object) -> None:
        # Every component has a first history row, as component_save writes.
        if create:
            ComponentStatusChange.objects.create(
                component=obj, status=obj.status, at=extracted or timezone.now()
            )

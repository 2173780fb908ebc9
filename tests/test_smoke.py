from incidents.models import Component
from tests.factories import ComponentFactory


def test_component_factory_writes_first_history_row(db: None) -> None:
    component = ComponentFactory()
    assert Component.objects.get().history.count() == 1
    assert component.status == "operational"

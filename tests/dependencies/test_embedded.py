"""Dependencies under `make run` (SQLite, no Redis): edges, a cycle refused, a proposal,
the picture."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from incidents.models import ComponentStatus, Proposal, ProposalKind, ProposalState
from tests.dependencies.conftest import SetStatus, depend
from tests.factories import ComponentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_the_graph_and_its_proposals_work_without_servers(
    set_status: SetStatus, responder: Any
) -> None:
    db, api, web = (ComponentFactory(name=n) for n in ("Database", "API", "Website"))
    depend(api, db)
    depend(web, api, "soft")
    with pytest.raises(ValidationError, match="cycle"):
        depend(db, web)
    set_status(db, ComponentStatus.MAJOR_OUTAGE)
    proposal = Proposal.objects.get(kind=ProposalKind.IMPACT, state=ProposalState.PENDING)
    assert sorted(proposal.components.values()) == ["degraded_performance", "major_outage"]
    client = Client()
    client.force_login(responder)
    page = client.get("/console/dependencies/").content.decode()
    assert page.count('class="dep-node ') == 3
    set_status(db, ComponentStatus.OPERATIONAL)
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.WITHDRAWN
